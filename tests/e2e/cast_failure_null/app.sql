-- A cast that fails at run time is NULL without @onError (and counted).
CREATE STREAM S (s STRING);
INSERT INTO Out SELECT s, CAST(s AS BIGINT) AS n, CAST(s AS BOOL) AS b, CAST(s AS TIMESTAMP) AS t FROM S;
