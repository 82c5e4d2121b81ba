-- sort(n, attr, order) keeps the n first in that order; unique(key) the latest per key;
-- firstUnique(key) only the first per key.
CREATE STREAM S (k STRING, v INT);
INSERT ALL EVENTS INTO Top2 SELECT k, v FROM S WINDOW('sort', 2, v, 'desc');
INSERT INTO Latest SELECT count() AS keys, sum(v) AS total FROM S WINDOW('unique', k);
INSERT INTO Firsts SELECT k, v FROM S WINDOW('firstUnique', k);
