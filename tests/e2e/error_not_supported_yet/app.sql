-- Constructs of later versions parse and check, then fail planning with a clear message.
CREATE STREAM S (symbol STRING, price DOUBLE);
CREATE TABLE Prices (symbol STRING PRIMARY KEY, price DOUBLE);
INSERT INTO J SELECT S.symbol, Prices.price FROM S WINDOW('length', 10) JOIN Prices ON S.symbol = Prices.symbol;
INSERT INTO P SELECT a[1].symbol FROM PATTERN (a=S{2,3} -> c=S);
INSERT INTO Q SELECT a.symbol FROM PATTERN (a=S -> c=S OR d=S OR e=S);
SELECT symbol, price FROM S UPDATE OR INSERT INTO Prices SET price = price ON Prices.symbol = symbol;
