-- Joins that cannot run: two UNIDIRECTIONAL sides, a self-join without aliases, an ON that
-- names no side, and expired events of a join.
CREATE STREAM A (k INT, v DOUBLE);
CREATE STREAM B (k INT, w DOUBLE);
INSERT INTO X SELECT a.k FROM A WINDOW('length', 5) AS a UNIDIRECTIONAL JOIN B WINDOW('length', 5) AS b UNIDIRECTIONAL ON a.k = b.k;
INSERT INTO Y SELECT k FROM A WINDOW('length', 5) JOIN A WINDOW('length', 5) ON k = k;
INSERT INTO Z SELECT a.k FROM A WINDOW('length', 5) AS a JOIN B WINDOW('length', 5) AS b ON a.k = c.k;
INSERT EXPIRED EVENTS INTO W SELECT a.k FROM A WINDOW('length', 5) AS a JOIN B WINDOW('length', 5) AS b ON a.k = b.k;
