-- A replay line for a table is refused with why: replay sends events to streams, and a table is
-- filled by the queries that write it.
CREATE TABLE Users (id STRING PRIMARY KEY, name STRING);
CREATE STREAM UserUpdates (id STRING, name STRING);
CREATE STREAM Clicks (user STRING);
SELECT id, name FROM UserUpdates UPDATE OR INSERT INTO Users ON Users.id = id;
INSERT INTO Out SELECT c.user, u.name FROM Clicks AS c LEFT JOIN Users AS u ON c.user = u.id;
