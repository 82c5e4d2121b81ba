-- frequent(n, key): the latest event of the (at most) n most frequent keys (Misra-Gries, as in
-- Siddhi). expression('condition'): the oldest events expire until the condition holds.
CREATE STREAM S (k STRING, v INT);
INSERT ALL EVENTS INTO Freq SELECT k, v FROM S WINDOW('frequent', 2, k);
INSERT INTO Capped SELECT v, sum(v) AS total, count() AS n FROM S WINDOW('expression', 'sum(v) <= 10');
-- lossyFrequent(support, error, key): keys that may reach 30% of the events (lossy counting).
INSERT ALL EVENTS INTO Lossy SELECT k, v FROM S WINDOW('lossyFrequent', 0.3, 0.1, k);
