CREATE STREAM S (price DOUBLE);
INSERT INTO Out
SELECT price,
       CASE WHEN price >= 100 THEN 'high' WHEN price >= 50 THEN 'mid' ELSE 'low' END AS band
FROM S;
