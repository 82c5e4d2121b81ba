-- Sliding length window (Siddhi semantics): an arrival beyond n expires the oldest first; expired
-- events carry the time of the arrival that pushed them out.
CREATE STREAM S (id INT, v DOUBLE);
INSERT INTO Cur SELECT id, v FROM S WINDOW('length', 2);
INSERT EXPIRED EVENTS INTO Exp SELECT id, v FROM S WINDOW('length', 2);
INSERT ALL EVENTS INTO All_ SELECT id, sum(v) AS total, count() AS n FROM S WINDOW('length', 2);
