-- Per-query error strategies: a query's @onError overrides its input stream's. The same failing
-- event is a dead letter for one query (fault stream), skipped by another, and NULL for a third.
CREATE STREAM S (a INT, b INT);
@onError(action='stream')
INSERT INTO DeadLetter SELECT a / b AS q FROM S;
@onError(action='drop')
INSERT INTO Skip SELECT a / b AS q FROM S;
INSERT INTO Lenient SELECT a / b AS q FROM S;
INSERT INTO Dlq SELECT a, b, _error FROM !S;
