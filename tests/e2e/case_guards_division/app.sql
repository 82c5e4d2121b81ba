-- A CASE branch runs only for the rows that reach it: no division by zero here.
@onError(action='stream')
CREATE STREAM S (a INT, b INT);
INSERT INTO Out SELECT a, CASE WHEN b = 0 THEN 0 ELSE a / b END AS q FROM S WHERE b = 0 OR a / b > 1;
INSERT INTO Faults SELECT a, b, _error FROM !S;
