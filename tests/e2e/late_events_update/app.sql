-- 'late.data'='update': a closed TUMBLING batch is kept for one more window (or the allowed
-- lateness, if longer); a late event joins it, and its group's row is re-emitted, corrected,
-- with the batch's close time. Later than that, a late event is logged and dropped.
CREATE STREAM S (k STRING, v INT) WITH ('late.data' = 'update');
INSERT INTO PerKey SELECT k, sum(v) AS total, count() AS n FROM S WINDOW TUMBLING(100 ms) GROUP BY k;
-- On SLIDING windows a late event corrects every kept window that held its time (a late a@1008
-- belongs to [990, 1010) and [1000, 1020): both rows are re-emitted with 103).
CREATE STREAM H (k STRING, v INT) WITH ('late.data' = 'update');
INSERT INTO Hopping SELECT k, sum(v) AS total FROM H WINDOW SLIDING(20 ms, 10 ms) GROUP BY k;
