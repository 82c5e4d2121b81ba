CREATE STREAM S (a INT, s STRING);
INSERT INTO Out
SELECT a + 1 AS a1, a IS NULL AS a_null, s IS NOT NULL AS s_set, upper(s) AS us, a = a AS self_eq
FROM S;
