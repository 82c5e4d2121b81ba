-- TRY_CAST: a value that does not convert is NULL and the row has no error (CAST's failure
-- counts one); TIMESTAMP '...' (SQL's space or ISO-8601's T) and DATE '...' (midnight UTC)
-- literals compare with TIMESTAMP attributes.
CREATE STREAM S (x STRING, t TIMESTAMP);
INSERT INTO O
SELECT TRY_CAST(x AS INT) AS n, CAST(x AS INT) AS m, TRY_CAST('zz' AS DOUBLE) AS c,
       TIMESTAMP '2026-01-01 10:00:00' AS ts, TIMESTAMP '2026-01-01T10:00:00.5+01:00' AS tz,
       DATE '2026-01-02' AS d, t > TIMESTAMP '2026-01-01 00:00:00' AS later
FROM S;
