-- Every aggregate retracts as events leave a length window; min/max without a rescan.
CREATE STREAM S (k STRING, v INT, d DOUBLE);
INSERT INTO Out
SELECT v, count() AS n, count(d) AS nd, sum(v) AS s, avg(d) AS a, min(v) AS mn, max(v) AS mx,
       stddev(v) AS sd, distinctCount(k) AS dk, first(v) AS f, last(v) AS l
FROM S WINDOW('length', 3);
