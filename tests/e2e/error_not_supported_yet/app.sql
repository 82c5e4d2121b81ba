-- Constructs of later versions parse and check, then fail planning with a clear message.
CREATE STREAM S (symbol STRING, price DOUBLE);
INSERT INTO Out SELECT symbol, avg(price) AS p FROM S WINDOW('length', 10) GROUP BY symbol;
