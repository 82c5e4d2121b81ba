CREATE STREAM S (x DOUBLE, i INT);
INSERT INTO Out
SELECT abs(x) AS ax, abs(i) AS ai, ceil(x) AS c, floor(x) AS f, round(x) AS r, sqrt(abs(x)) AS sq,
       pow(x, 2) AS p, sign(x) AS sg, mod(i, 3) AS m
FROM S;
