-- Without @onError, division by zero is NULL, never a crash.
CREATE STREAM S (a INT, b INT, x DOUBLE, y DOUBLE);
INSERT INTO Out SELECT a / b AS q, a % b AS r, x / y AS xq FROM S;
