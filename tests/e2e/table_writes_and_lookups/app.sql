-- Tables: UPDATE OR INSERT keeps one row per key; DELETE removes; a stream-table join looks rows
-- up (a LEFT OUTER JOIN gives NULLs when there is none); CREATE TABLE AS keeps one row per group,
-- keyed by the GROUP BY attributes. Table writes trigger nothing and print nothing themselves.
CREATE TABLE Limits (symbol STRING PRIMARY KEY, max_price DOUBLE);
CREATE STREAM LimitUpdates (symbol STRING, max_price DOUBLE);
CREATE STREAM LimitRemovals (symbol STRING);
CREATE STREAM Trades (symbol STRING, price DOUBLE);
SELECT symbol, max_price FROM LimitUpdates UPDATE OR INSERT INTO Limits ON Limits.symbol = symbol;
DELETE Limits ON Limits.symbol = symbol SELECT symbol FROM LimitRemovals;
INSERT INTO Checked
SELECT t.symbol, t.price, l.max_price, t.price > l.max_price AS breach
FROM Trades AS t LEFT OUTER JOIN Limits AS l ON t.symbol = l.symbol;
CREATE TABLE Last AS SELECT symbol, last(price) AS price, count() AS trades FROM Trades GROUP BY symbol;
CREATE STREAM Probe (symbol STRING);
INSERT INTO Seen SELECT p.symbol, l.price, l.trades FROM Probe AS p JOIN Last AS l ON p.symbol = l.symbol;
