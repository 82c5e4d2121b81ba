CREATE STREAM S (a INT, b INT, s STRING);
INSERT INTO Out
SELECT coalesce(a, b, 0) AS c, ifnull(s, 'none') AS s2, nullif(a, 0) AS nz, coalesce(a, 1.5) AS widened
FROM S;
