-- Constructs of later versions parse and check, then fail planning with a clear message.
CREATE STREAM S (symbol STRING, price DOUBLE);
CREATE TABLE Prices (symbol STRING PRIMARY KEY, price DOUBLE);
INSERT INTO P SELECT a[1].symbol FROM PATTERN (a=S{2,3} -> c=S);
INSERT INTO Q SELECT a.symbol FROM PATTERN (a=S -> c=S OR d=S OR e=S);
SELECT s.symbol FROM S WINDOW('length', 5) AS s JOIN S WINDOW('length', 5) AS t ON s.symbol = t.symbol UPDATE Prices SET price = 1.0 ON Prices.symbol = symbol;
