-- Constructs of later versions parse and check, then fail planning with a clear message.
CREATE STREAM S (symbol STRING, price DOUBLE);
CREATE STREAM T (symbol STRING, qty INT);
INSERT INTO J SELECT S.symbol, T.qty FROM S WINDOW('length', 10) JOIN T WINDOW('length', 10) ON S.symbol = T.symbol;
INSERT INTO P SELECT a.symbol FROM PATTERN EVERY (a=S -> b=S[price > a.price]) WITHIN 1 SECOND;
CREATE TABLE Prices (symbol STRING PRIMARY KEY, price DOUBLE);
SELECT symbol, price FROM S UPDATE OR INSERT INTO Prices SET price = price ON Prices.symbol = symbol;
INSERT INTO D SELECT DISTINCT symbol FROM S;
