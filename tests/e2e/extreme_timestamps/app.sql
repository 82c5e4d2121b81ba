-- Times near the limits of BIGINT neither overflow nor hang: deadlines past the largest time are
-- the largest time (never a time in the past), and a pattern does not match what never happened.
CREATE STREAM S (id BIGINT);
INSERT INTO Tumbling SELECT count() AS n, window_end FROM S WINDOW TUMBLING(1 SECOND);
INSERT ALL EVENTS INTO Sliding SELECT id, count() AS n FROM S WINDOW('time', 10 ms);
INSERT INTO Sessions SELECT count() AS n FROM S WINDOW SESSION(1 MINUTE) EMIT FINAL;
INSERT INTO Bounded SELECT a.id AS a, b.id AS b FROM PATTERN EVERY a=S -> b=S[b.id > a.id] WITHIN 10 ms;
INSERT INTO Absent SELECT a.id AS a FROM PATTERN a=S -> NOT S FOR 10 ms;
INSERT INTO Pairs SELECT a.id AS a, b.id AS b FROM PATTERN a=S -> b=S;
