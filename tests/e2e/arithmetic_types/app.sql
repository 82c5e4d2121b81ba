-- Numeric promotion: INT -> BIGINT -> FLOAT -> DOUBLE.
CREATE STREAM S (i INT, l BIGINT, f FLOAT, d DOUBLE);
INSERT INTO Out
SELECT i + i AS ii, i + l AS il, i * f AS i_f, l - d AS ld, f + f AS ff, d / 4 AS dq, i % 3 AS im, d % 2 AS dm
FROM S;
