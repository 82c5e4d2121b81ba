-- Names differ: values go by position, with SQL assignment casts (DOUBLE -> FLOAT, any -> STRING,
-- numeric STRING -> number at run time).
CREATE STREAM Raw (sensor STRING, reading DOUBLE, at STRING);
CREATE STREAM Clean (id STRING, value FLOAT, ts BIGINT);
INSERT INTO Clean SELECT sensor, reading, at FROM Raw;
