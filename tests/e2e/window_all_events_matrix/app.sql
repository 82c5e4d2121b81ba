-- Current and expired events (INSERT ALL EVENTS) of the window kinds not covered elsewhere.
CREATE STREAM S (k STRING, v INT, at BIGINT);
INSERT ALL EVENTS INTO LengthBatch SELECT k, v FROM S WINDOW('lengthBatch', 2);
INSERT ALL EVENTS INTO ExtBatch SELECT k, v FROM S WINDOW('externalTimeBatch', at, 100 ms);
INSERT ALL EVENTS INTO Hop SELECT k, v FROM S WINDOW SLIDING(20 ms, 10 ms);
INSERT ALL EVENTS INTO Uniq SELECT k, v FROM S WINDOW('unique', k);
INSERT ALL EVENTS INTO FirstUniq SELECT k, v FROM S WINDOW('firstUnique', k);
INSERT ALL EVENTS INTO Delayed SELECT k, v FROM S WINDOW('delay', 15 ms);
INSERT ALL EVENTS INTO Expr SELECT k, v FROM S WINDOW('expression', 'count() <= 2');
