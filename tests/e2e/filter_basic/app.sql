-- WHERE keeps only rows whose condition is TRUE.
CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT);
INSERT INTO Big SELECT symbol, price FROM Trades WHERE price > 100;
