-- SQL three-valued logic: a comparison with NULL is NULL, and WHERE keeps only TRUE.
CREATE STREAM S (id INT, a INT, b BOOL);
INSERT INTO Out
SELECT id, a > 1 AS gt, (a > 1) AND b AS and_b, (a > 1) OR b AS or_b, NOT b AS not_b
FROM S;
INSERT INTO Kept SELECT id FROM S WHERE a > 1 OR b;
