-- @onError(action='drop'): a failing event is dropped and counted.
@onError(action='drop')
CREATE STREAM S (a INT, b INT);
INSERT INTO Out SELECT a / b AS q FROM S;
