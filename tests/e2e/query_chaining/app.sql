-- A query's output stream feeds the queries that read it, synchronously and in order.
CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT);
INSERT INTO Priced SELECT symbol, price * volume AS notional FROM Trades WHERE volume > 0;
INSERT INTO Large SELECT symbol, notional FROM Priced WHERE notional >= 1000;
INSERT INTO Alerts SELECT concat(symbol, ' large trade') AS message FROM Large;
