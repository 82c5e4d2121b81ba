CREATE STREAM S (a INT) WITH ('type' = 'source', 'connector' = 'file', 'path' = 'x.jsonl', 'formt' = 'json');
CREATE STREAM T (a INT) WITH ('type' = 'sink', 'connector' = 'stdot');
