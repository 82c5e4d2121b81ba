CREATE STREAM S (a INT, b INT, c INT);
INSERT INTO Out SELECT a + b * c AS x, (a + b) * c AS y, -a - -b AS z, a - b - c AS left_assoc, a / b / c AS div FROM S;
