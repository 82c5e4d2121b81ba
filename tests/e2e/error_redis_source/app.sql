-- Redis is a sink in this version: a stream that reads from it is refused where it says so.
CREATE STREAM S (id STRING, value DOUBLE)
WITH ('type' = 'source', 'connector' = 'redis', 'url' = 'redis://127.0.0.1:6379', 'key' = 'id');
INSERT INTO Out SELECT id FROM S;
