-- CREATE STREAM ... AS SELECT defines the stream and the query that fills it.
CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT);
CREATE STREAM Big AS SELECT * FROM Trades WHERE volume > 1000;
INSERT INTO BigSymbols SELECT symbol FROM Big;
