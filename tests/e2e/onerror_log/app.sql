-- @onError(action='log'): a failing event is logged with its reason and dropped.
@onError(action='log')
CREATE STREAM S (a INT, b INT);
INSERT INTO Out SELECT a / b AS q FROM S;
