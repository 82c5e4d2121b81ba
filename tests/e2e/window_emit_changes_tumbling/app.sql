-- EMIT CHANGES on a tumbling window: an updated row per event, starting afresh in each window.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Out SELECT k, sum(v) AS running FROM S WINDOW TUMBLING(10 ms) GROUP BY k EMIT CHANGES;
