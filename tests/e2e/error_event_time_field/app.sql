CREATE STREAM S (a INT, at BIGINT) WITH ('event.time.field' = 'when', 'event.time.format' = 'epoc');
