-- INTERVAL literals (the standard's, Flink SQL's): a duration wherever one is taken, as
-- 10 SECONDS is, and milliseconds (BIGINT) in arithmetic.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Windowed
SELECT k, count() AS n FROM S WINDOW TUMBLING(INTERVAL '10' SECOND) GROUP BY k;
INSERT INTO Shifted
SELECT k, eventTimestamp() + INTERVAL '1:30' MINUTE TO SECOND AS later,
       INTERVAL '2 01:00:00.5' DAY TO SECOND AS span, INTERVAL '1:30' HOUR TO MINUTE AS hm,
       INTERVAL '-2' HOUR AS back
FROM S WHERE v > 1;
INSERT INTO Pairs
SELECT a.k AS first, b.k AS second
FROM PATTERN EVERY a=S[v == 1] -> b=S[v == 2] WITHIN INTERVAL '5' SECOND;
