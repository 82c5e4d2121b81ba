-- Patterns that cannot run: a counted element named without an index, a count without an alias,
-- a NOT in a sequence, an unknown alias in WHERE, PARTITION BY an attribute a stream lacks or
-- outside a pattern.
CREATE STREAM S (k INT, v DOUBLE);
CREATE STREAM T (k INT);
INSERT INTO A SELECT e.v FROM PATTERN (e=S{2,3} -> f=T);
INSERT INTO B SELECT f.k FROM PATTERN (S+ -> f=T);
INSERT INTO C SELECT a.k FROM SEQUENCE (a=S, NOT T FOR 1 SECOND, b=S);
INSERT INTO D SELECT a.k FROM PATTERN (a=S -> b=T) WHERE c.k = a.k;
INSERT INTO E SELECT a.k FROM PATTERN (a=S -> b=T) PARTITION BY v;
INSERT INTO F SELECT k FROM S PARTITION BY k;
