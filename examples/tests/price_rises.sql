-- Rises of a symbol's price by more than 10% within 10 seconds (Siddhi's EVERY semantics).
CREATE STREAM Trades (symbol STRING, price DOUBLE);
@info(name='Rises')
INSERT INTO Rises
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY (a=Trades -> b=Trades) WITHIN 10 SECONDS
WHERE a.price > 100 AND b.symbol = a.symbol AND b.price > a.price * 1.1;
@info(name='Averages')
INSERT INTO Averages
SELECT symbol, avg(price) AS avg_price, count() AS trades
FROM Trades WINDOW TUMBLING(10 SECONDS) GROUP BY symbol;
