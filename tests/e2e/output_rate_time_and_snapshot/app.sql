-- OUTPUT ... EVERY <time>: periods start at the first row's time; LAST emits each period's last
-- row when the period ends; SNAPSHOT emits the latest row of every group at each period end.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Last_ SELECT k, v FROM S OUTPUT LAST EVERY 100 ms;
INSERT INTO Snap SELECT k, sum(v) AS total FROM S GROUP BY k OUTPUT SNAPSHOT EVERY 100 ms;
