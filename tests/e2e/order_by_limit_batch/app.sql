-- ORDER BY / LIMIT / OFFSET apply to what one closing window produces.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Top2 SELECT k, sum(v) AS total FROM S WINDOW('lengthBatch', 5) GROUP BY k ORDER BY total DESC LIMIT 2;
INSERT INTO Rest SELECT k, sum(v) AS total FROM S WINDOW('lengthBatch', 5) GROUP BY k ORDER BY total DESC LIMIT 5 OFFSET 2;
