-- Followed-by patterns, Siddhi's semantics: EVERY around the whole pattern restarts after a match
-- (or expiry) and ignores other events meanwhile; EVERY on the first element starts a match at
-- each of its events; without EVERY the pattern matches once. WHERE conjuncts apply at the
-- element where their aliases are bound; WITHIN bounds first to last event.
CREATE STREAM Trades (symbol STRING, price DOUBLE);
INSERT INTO Rises
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY (a=Trades -> b=Trades) WITHIN 10 SECONDS
WHERE a.price > 100 AND b.symbol = a.symbol AND b.price > a.price * 1.1;
INSERT INTO EachRise
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY a=Trades[price > 100] -> b=Trades[symbol == a.symbol AND price > a.price]
WITHIN 10 SECONDS;
INSERT INTO FirstRise
SELECT a.symbol, b.price AS p2
FROM PATTERN (a=Trades -> b=Trades[price > a.price]);
