-- CAST between numbers: DOUBLE to integer truncates toward zero (as Siddhi's cast does).
CREATE STREAM S (d DOUBLE, i INT, s STRING);
INSERT INTO Out
SELECT CAST(d AS INT) AS di, CAST(d AS BIGINT) AS dl, CAST(i AS DOUBLE) AS id, CAST(s AS INT) AS si,
       CAST(s AS DOUBLE) AS sd, CAST(d AS DECIMAL(8,2)) AS dd, CAST(i AS BOOL) AS ib
FROM S;
