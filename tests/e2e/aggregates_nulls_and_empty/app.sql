-- Aggregates skip NULLs; over no values sum/avg/min/max/stddev are NULL and count is 0.
CREATE STREAM S (v DOUBLE);
INSERT ALL EVENTS INTO Out
SELECT count() AS rows_, count(v) AS n, sum(v) AS s, avg(v) AS a, min(v) AS mn, stddev(v) AS sd
FROM S WINDOW('length', 1);
