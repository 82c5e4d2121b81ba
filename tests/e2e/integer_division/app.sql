-- Integer division of integers is integer division (toward zero); % keeps the dividend's sign.
CREATE STREAM S (a INT, b INT);
INSERT INTO Out SELECT a / b AS q, a % b AS r, CAST(a AS DOUBLE) / b AS exact FROM S;
