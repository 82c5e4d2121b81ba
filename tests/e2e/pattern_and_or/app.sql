-- AND: both elements, in any order (a condition between them is checked when the second comes);
-- OR: either one; the other's attributes are NULL.
CREATE STREAM Buy (symbol STRING, qty INT);
CREATE STREAM Sell (symbol STRING, qty INT);
CREATE STREAM Alert (symbol STRING);
INSERT INTO Crossed
SELECT b.symbol, b.qty AS bought, s.qty AS sold
FROM PATTERN EVERY (b=Buy AND s=Sell) WHERE s.symbol = b.symbol;
INSERT INTO Reacted
SELECT a.symbol, b.qty AS buy_qty, s.qty AS sell_qty
FROM PATTERN EVERY a=Alert -> (b=Buy[symbol == a.symbol] OR s=Sell[symbol == a.symbol]);
