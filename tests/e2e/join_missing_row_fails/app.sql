-- @join(missing='fail') (the seed's FailFast): an arrival whose key the table lacks stops the
-- app, with the query, the table, the key and the event in the message.
CREATE TABLE Users (id STRING PRIMARY KEY, name STRING);
CREATE STREAM UserUpdates (id STRING, name STRING);
CREATE STREAM Clicks (user STRING);
SELECT id, name FROM UserUpdates UPDATE OR INSERT INTO Users ON Users.id = id;
@info(name='enrich')
@join(missing='fail')
INSERT INTO Out SELECT c.user, u.name FROM Clicks AS c JOIN Users AS u ON c.user = u.id;
