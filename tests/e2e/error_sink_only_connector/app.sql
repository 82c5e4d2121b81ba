-- PostgreSQL, Redis and HTTP are sinks in this version: a stream that reads from one is refused
-- where it says so.
CREATE STREAM S (id STRING, value DOUBLE)
WITH ('type' = 'source', 'connector' = 'postgres', 'format' = 'json');
INSERT INTO Out SELECT id FROM S;
