-- The end of the input is the end of time (Flink's final watermark at the end of bounded input):
-- the open tumbling window, the open session, the pending NOT ... FOR and the output-rate period
-- all fire, each at its own time, so that no result is silently missing.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Tumbling SELECT count() AS n, sum(v) AS total FROM S WINDOW TUMBLING(1 SECOND);
INSERT INTO Sessions SELECT k, count() AS n FROM S WINDOW SESSION(5 SECONDS) GROUP BY k EMIT FINAL;
INSERT INTO Quiet SELECT a.k AS k FROM PATTERN EVERY a=S -> NOT S[k == a.k] FOR 10 SECONDS;
INSERT INTO Rated SELECT k, count() AS n FROM S GROUP BY k OUTPUT LAST EVERY 2 SECONDS;
