-- A windowed inner join: an arrival on either side probes what the other side's window holds.
-- Trades keep their last 2 events, Quotes their last second (expired at ts + 1000, as Siddhi).
CREATE STREAM Trades (symbol STRING, price DOUBLE);
CREATE STREAM Quotes (symbol STRING, bid DOUBLE);
INSERT INTO Matched
SELECT t.symbol, t.price, q.bid, t.price - q.bid AS spread
FROM Trades WINDOW('length', 2) AS t JOIN Quotes WINDOW('time', 1 SECOND) AS q
ON t.symbol = q.symbol;
