-- Outer joins give unmatched arrivals of an outer side with NULLs; UNIDIRECTIONAL lets one side
-- trigger; without ON a join pairs everything both sides hold.
CREATE STREAM Orders (id INT, customer STRING, amount DOUBLE);
CREATE STREAM Payments (order_id INT, paid DOUBLE);
-- Left outer: every order, with its payment when one is held.
INSERT INTO OrderStatus
SELECT o.id, o.customer, p.paid
FROM Orders WINDOW('length', 3) AS o LEFT OUTER JOIN Payments WINDOW('length', 3) AS p
ON o.id = p.order_id;
-- Unidirectional: only payments trigger; a side filter and a WHERE over the joined row.
INSERT INTO BigPayments
SELECT p.order_id, o.customer, p.paid
FROM Payments[paid > 0] AS p UNIDIRECTIONAL JOIN Orders WINDOW('length', 10) AS o
ON p.order_id = o.id
WHERE p.paid >= 100;
-- Full outer with no ON: a cross join of what both sides hold.
INSERT INTO Pairs
SELECT o.id, p.order_id
FROM Orders WINDOW('length', 1) AS o FULL OUTER JOIN Payments WINDOW('length', 1) AS p;
