-- GROUP BY without a window: running aggregates forever, an updated row per event (EMIT CHANGES).
CREATE STREAM S (k STRING, v INT);
INSERT INTO Out
SELECT k, count() AS n, sum(v) AS s, min(v) AS mn, max(v) AS mx, minForever(v) AS mnf,
       first(v) AS f, last(v) AS l, sum(DISTINCT v) AS sd, count(DISTINCT v) AS cd
FROM S GROUP BY k;
