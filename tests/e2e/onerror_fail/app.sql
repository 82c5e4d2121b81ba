-- @onError(action='fail'): the first failing event stops the app with the error.
@onError(action='fail')
CREATE STREAM S (a INT, b INT);
INSERT INTO Out SELECT a / b AS q FROM S;
