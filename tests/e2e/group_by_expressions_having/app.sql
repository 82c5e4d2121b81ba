-- GROUP BY an expression; HAVING with aliases, arithmetic and CASE.
CREATE STREAM S (name STRING, v INT);
INSERT INTO Out
SELECT upper(name) AS who, sum(v) AS total, count() AS n
FROM S
GROUP BY upper(name)
HAVING total * 2 > 10 AND CASE WHEN n > 1 THEN true ELSE false END;
