-- Change kinds (Flink's RowKind), shown by `replay --changelog`: a running aggregate's first row
-- for a key is +I and the rows that replace it +U; a window's closing rows are +I (final);
-- expired events are -D; a table's changelog has +I, -U then +U for an update, -D.
CREATE STREAM S (k STRING, v INT);
CREATE TABLE T (k STRING PRIMARY KEY, total BIGINT);
INSERT INTO Totals SELECT k, sum(v) AS total FROM S GROUP BY k;
INSERT INTO Windowed SELECT k, count() AS n FROM S WINDOW TUMBLING(10 SECONDS) GROUP BY k;
INSERT ALL EVENTS INTO Recent SELECT k, v FROM S WINDOW('length', 2);
SELECT k, sum(v) AS total FROM S WHERE v >= 0 GROUP BY k UPDATE OR INSERT INTO T ON T.k = k;
DELETE FROM T USING S AS s WHERE s.v < 0 AND T.k = s.k;
