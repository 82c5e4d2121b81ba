-- With GROUP BY, OUTPUT FIRST / LAST apply per group (Siddhi's group-by output rate limiters):
-- LAST emits each group's last row of the period, in the order groups first appeared.
CREATE STREAM S (k STRING, v INT);
INSERT INTO LastPerKey SELECT k, sum(v) AS total FROM S GROUP BY k OUTPUT LAST EVERY 100 ms;
INSERT INTO FirstPerKey SELECT k, v FROM S GROUP BY k OUTPUT FIRST EVERY 3 EVENTS;
