-- a || b, SQL's concatenation: the operands as text, NULL when either is NULL (concat() skips
-- NULLs instead); below + and - and above comparisons, as in PostgreSQL.
CREATE STREAM S (a STRING, b STRING, n INT);
INSERT INTO Out
SELECT a || '-' || b AS ab, 'n=' || n + 1 AS n1, concat(a, b) AS skipped, a || b = 'xy' AS same
FROM S;
