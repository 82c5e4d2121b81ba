-- The seed documents' table-write forms mean the same as the output clauses: UPSERT INTO .. ON,
-- UPDATE .. SET .. FROM s WHERE, DELETE FROM .. USING s WHERE (queries run in the order written,
-- so B's upsert happens before the update that doubles it).
CREATE TABLE Stock (symbol STRING PRIMARY KEY, price DOUBLE);
CREATE STREAM Updates (symbol STRING, price DOUBLE);
CREATE STREAM Removals (symbol STRING);
CREATE STREAM Probe (symbol STRING);
UPSERT INTO Stock SELECT symbol, price FROM Updates ON Stock.symbol = symbol;
UPDATE Stock SET price = u.price * 2 FROM Updates AS u WHERE Stock.symbol = u.symbol AND u.price > 100;
DELETE FROM Stock USING Removals AS r WHERE Stock.symbol = r.symbol;
INSERT INTO Seen SELECT p.symbol, s.price FROM Probe AS p LEFT JOIN Stock AS s ON p.symbol = s.symbol;
