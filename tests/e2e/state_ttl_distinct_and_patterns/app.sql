-- Bounded state for DISTINCT and patterns. With a 10 s state TTL a DISTINCT row unseen that long
-- goes out again; a partial match waits at most the TTL (as if WITHIN 10 SECONDS); a PARTITION BY
-- key idle that long is dropped. @state(max_keys) caps the partitions: a new key past it is
-- refused (counted and logged).
SET 'state.ttl' = '10 s';
CREATE STREAM Trades (symbol STRING, price DOUBLE);
INSERT INTO Firsts SELECT DISTINCT symbol FROM Trades;
INSERT INTO Rises
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY a=Trades -> b=Trades[symbol == a.symbol AND price > a.price];
@state(max_keys='2')
INSERT INTO PerSymbol
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY (a=Trades -> b=Trades[price > a.price]) PARTITION BY symbol;
