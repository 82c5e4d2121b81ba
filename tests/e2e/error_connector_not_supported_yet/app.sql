CREATE STREAM S (id STRING, value DOUBLE)
WITH ('type' = 'source', 'connector' = 'postgres', 'format' = 'json');
INSERT INTO Out SELECT id FROM S;
