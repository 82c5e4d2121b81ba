-- TUMBLING: batches aligned to the epoch ([1000, 2000), [2000, 3000), ...); when one closes, one
-- row per group with its final aggregates, carrying the close time. A batch that closes with no
-- events emits nothing.
CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT);
INSERT INTO PerSecond
SELECT symbol, avg(price) AS avg_price, sum(volume) AS volume, count() AS trades
FROM Trades WINDOW TUMBLING(1 SECOND)
GROUP BY symbol;
