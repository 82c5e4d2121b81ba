-- DECIMAL is exact: money does not drift.
CREATE STREAM Orders (id INT, price DECIMAL(10,2), qty INT, fee DECIMAL(6,3));
INSERT INTO Out
SELECT id, price * qty AS total, price + fee AS with_fee, price - 0.01 AS minus_cent,
       price / 3 AS third, price > 10 AS big, CAST(price AS DOUBLE) AS approx
FROM Orders;
