CREATE STREAM S (a INT, b INT, name STRING);
INSERT INTO Out SELECT a, b, name FROM S WHERE (a > 1 AND b < 10) OR NOT (name = 'keep');
