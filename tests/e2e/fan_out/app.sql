-- Two queries read one stream; each sees every event, in definition order.
CREATE STREAM S (v INT);
INSERT INTO Even SELECT v FROM S WHERE v % 2 = 0;
INSERT INTO Doubled SELECT v * 2 AS v2 FROM S;
