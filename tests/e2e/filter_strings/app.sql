CREATE STREAM S (symbol STRING, side STRING);
INSERT INTO Out SELECT symbol, side FROM S WHERE symbol != 'MSFT' AND side <> 'sell' AND symbol >= 'B';
