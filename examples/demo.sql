-- The demo: synthetic trades from the built-in generator, filtered and enriched, printed as JSON.
CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT)
WITH ('type' = 'source', 'connector' = 'generator', 'rate' = '20', 'count' = '40', 'seed' = '7',
      'fields.symbol' = 'choice:AAPL,MSFT,GOOG,AMZN', 'fields.price' = 'uniform:50,200',
      'fields.volume' = 'uniform:1,1000');

CREATE STREAM BigTrades (symbol STRING, price DOUBLE, notional DOUBLE, size STRING)
WITH ('type' = 'sink', 'connector' = 'stdout', 'format' = 'json');

INSERT INTO BigTrades
SELECT symbol, price, round(price * volume, 2) AS notional,
       CASE WHEN volume >= 500 THEN 'block' ELSE 'retail' END AS size
FROM Trades
WHERE price > 120 AND symbol IN ('AAPL', 'MSFT', 'GOOG');
