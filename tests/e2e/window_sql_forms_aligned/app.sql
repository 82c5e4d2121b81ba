-- The SQL-style windows align like Flink SQL and ksqlDB: TUMBLING(size[, offset]) windows are
-- [k*size + offset, (k+1)*size + offset), SLIDING(size, slide) windows [k*slide, k*slide + size);
-- Siddhi's WINDOW('timeBatch', t) starts at its first event. window_start and window_end are the
-- bounds of the window that produced a row (per event on a tumbling window with EMIT CHANGES).
CREATE STREAM S (k STRING, v INT);
INSERT INTO Tumbling SELECT k, sum(v) AS total, window_start, window_end
FROM S WINDOW TUMBLING(10 SECONDS) GROUP BY k;
INSERT INTO Changes SELECT k, sum(v) AS total, window_start, window_end
FROM S WINDOW TUMBLING(10 SECONDS, 3 SECONDS) GROUP BY k EMIT CHANGES;
INSERT INTO Hop SELECT k, sum(v) AS total, window_start, window_end
FROM S WINDOW SLIDING(20 SECONDS, 10 SECONDS) GROUP BY k;
INSERT INTO Batch SELECT k, sum(v) AS total, window_start, window_end
FROM S WINDOW('timeBatch', 10 SECONDS) GROUP BY k;
