CREATE STREAM S (id STRING, value DOUBLE)
WITH ('type' = 'source', 'connector' = 'kafka', 'topic' = 'values', 'bootstrap.servers' = 'localhost:9092', 'format' = 'json');
INSERT INTO Out SELECT id FROM S;
