-- IN with a NULL in the list: no match gives NULL, not FALSE.
CREATE STREAM S (sym STRING, n INT);
INSERT INTO Out
SELECT sym, sym IN ('AAPL', 'MSFT') AS big, n NOT IN (1, 2) AS not12, n IN (1, NULL) AS with_null
FROM S;
INSERT INTO Picked SELECT sym FROM S WHERE n IN (1, 3, 5);
