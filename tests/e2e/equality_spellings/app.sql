-- = and == mean equality; != and <> mean inequality; strings in single quotes.
CREATE STREAM S (a INT, s STRING);
INSERT INTO Out SELECT a, a == 1 AS eq2, a = 1 AS eq1, a != 1 AS ne1, a <> 1 AS ne2, s == 'x' AS sx FROM S;
