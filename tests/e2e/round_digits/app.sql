CREATE STREAM S (x DOUBLE, m DECIMAL(10,3));
INSERT INTO Out SELECT round(x, 2) AS r2, round(x, 0) AS r0, round(m, 1) AS m1, round(m) AS m0, ceil(m) AS mc FROM S;
