-- The crash test's app (tests/crash_test.cc): every kind of state, fed by one file, written to
-- file sinks. It is killed with SIGKILL at random moments and restarted from its checkpoints
-- until its input is done; its sink files must equal those of a run that was never killed.
-- Event time comes from `ts`, so that windows close by the events, not by the wall clock.
CREATE STREAM Events (kind STRING, symbol STRING, tag STRING, price DOUBLE, volume INT, ts BIGINT)
WITH ('type'='source', 'connector'='file', 'path'='events.jsonl', 'format'='json',
      'event.time.field'='ts', 'event.time.format'='epoch_millis');

CREATE STREAM Trades (symbol STRING, price DOUBLE, volume INT, ts BIGINT);
INSERT INTO Trades SELECT symbol, price, volume, ts FROM Events WHERE kind = 'trade';

-- A table, filled by the reference rows at the start of the input, and a stream-table join.
CREATE TABLE Sectors (symbol STRING PRIMARY KEY, sector STRING);
UPSERT INTO Sectors SELECT symbol, tag AS sector FROM Events WHERE kind = 'ref'
ON Sectors.symbol = symbol;

CREATE STREAM Tumbling (symbol STRING, total BIGINT, n BIGINT)
WITH ('type'='sink', 'connector'='file', 'path'='out/tumbling.jsonl', 'format'='json');
INSERT INTO Tumbling
SELECT symbol, sum(volume) AS total, count() AS n FROM Trades WINDOW TUMBLING(1 SECOND)
GROUP BY symbol;

CREATE STREAM Sliding (symbol STRING, avg_price DOUBLE, high DOUBLE)
WITH ('type'='sink', 'connector'='file', 'path'='out/sliding.jsonl', 'format'='json');
INSERT INTO Sliding
SELECT symbol, avg(price) AS avg_price, max(price) AS high FROM Trades
WINDOW SLIDING(2 SECONDS, 500 ms) GROUP BY symbol;

-- Rolled every 4 KB: a restore takes back what was rolled after its checkpoint.
CREATE STREAM Joined (symbol STRING, sector STRING, volume INT)
WITH ('type'='sink', 'connector'='file', 'path'='out/joined.jsonl', 'format'='json',
      'rolling.size'='4KB');
INSERT INTO Joined
SELECT t.symbol, s.sector, t.volume FROM Trades AS t JOIN Sectors AS s ON t.symbol = s.symbol
WHERE t.volume > 97;

CREATE STREAM Spikes (symbol STRING, p1 DOUBLE, p2 DOUBLE)
WITH ('type'='sink', 'connector'='file', 'path'='out/spikes.jsonl', 'format'='json');
INSERT INTO Spikes
SELECT a.symbol, a.price AS p1, b.price AS p2
FROM PATTERN EVERY a=Trades[price > 99] -> b=Trades[symbol == a.symbol AND price < 2]
WITHIN 3 SECONDS;

CREATE STREAM Pairs (symbol STRING, volume INT)
WITH ('type'='sink', 'connector'='file', 'path'='out/pairs.jsonl', 'format'='json');
INSERT INTO Pairs SELECT DISTINCT symbol, volume FROM Trades WHERE volume > 90;

CREATE STREAM Running (symbol STRING, n BIGINT, total BIGINT)
WITH ('type'='sink', 'connector'='file', 'path'='out/running.jsonl', 'format'='csv');
INSERT INTO Running
SELECT symbol, count() AS n, sum(volume) AS total FROM Trades WHERE volume = 50 GROUP BY symbol;

-- What crosses an async stream is in flight at a checkpoint: it is processed before the cut.
@Async(buffer_size='16', batch_size_max='64')
CREATE STREAM Big (symbol STRING, volume INT, ts BIGINT);
INSERT INTO Big SELECT symbol, volume, ts FROM Trades WHERE volume > 80;
CREATE STREAM BigCounts (symbol STRING, n BIGINT)
WITH ('type'='sink', 'connector'='file', 'path'='out/big_counts.jsonl', 'format'='json');
INSERT INTO BigCounts SELECT symbol, count() AS n FROM Big WINDOW TUMBLING(1 SECOND)
GROUP BY symbol;
