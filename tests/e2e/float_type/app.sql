-- FLOAT is 32-bit: values print as the float they are.
CREATE STREAM S (f FLOAT, d DOUBLE);
INSERT INTO Out SELECT f, f * 2 AS f2, CAST(d AS FLOAT) AS df, f + d AS sum FROM S;
