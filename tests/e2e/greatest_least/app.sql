CREATE STREAM S (a INT, b DOUBLE, c INT);
INSERT INTO Out SELECT greatest(a, b, c) AS g, least(a, b, c) AS l FROM S;
