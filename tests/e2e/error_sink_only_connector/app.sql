-- Redis is a sink in this version: a stream that reads from it is refused where it says so. A
-- PostgreSQL source needs its url and what it reads; its sink's properties are not its own.
CREATE STREAM S (id STRING, value DOUBLE)
WITH ('type' = 'source', 'connector' = 'redis', 'url' = 'redis://127.0.0.1:6379');
CREATE STREAM P (id STRING, value DOUBLE)
WITH ('type' = 'source', 'connector' = 'postgres', 'key' = 'id', 'poll.interval' = '1s');
INSERT INTO Out SELECT id FROM S;
INSERT INTO Out2 SELECT id FROM P;
