-- INT arithmetic that leaves the INT range is an error: NULL without @onError.
CREATE STREAM S (a INT, b BIGINT);
INSERT INTO Out SELECT a + 1 AS a1, a * 2 AS a2, b + 1 AS b1, -a AS na FROM S;
