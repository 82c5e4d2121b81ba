-- PARTITION BY runs an independent pattern per key value: here one `EVERY (a -> b)` per symbol,
-- so X's rise does not wait for Y's; and one quiet watch per symbol (a trade that breaks the
-- silence starts the next watch: it took no part in a match).
CREATE STREAM Trades (symbol STRING, price DOUBLE);
INSERT INTO Rises
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY (a=Trades -> b=Trades[price > a.price]) PARTITION BY symbol;
INSERT INTO Quiet
SELECT t.symbol, t.price AS last_price
FROM PATTERN EVERY (t=Trades -> NOT Trades FOR 5 SECONDS) PARTITION BY symbol;
