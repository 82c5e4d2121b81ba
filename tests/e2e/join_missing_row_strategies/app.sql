-- What a stream-table join does with an arrival whose key the table lacks, per join:
-- @join(missing=...), the seed's degradation strategies (Velostream's SkipRecord,
-- EmitWithNulls, UseDefaults, WaitAndRetry). A waiting arrival is looked up again every
-- `delay` of the clock (the events' times in replay), `retries` times; found, it joins at its
-- own time; never found, it is answered as the join says (an inner join emits nothing).
CREATE TABLE Users (id STRING PRIMARY KEY, name STRING, tier INT);
CREATE STREAM UserUpdates (id STRING, name STRING, tier INT);
CREATE STREAM Clicks (user STRING, page STRING);
SELECT id, name, tier FROM UserUpdates UPDATE OR INSERT INTO Users ON Users.id = id;
@join(missing='nulls')
INSERT INTO WithNulls SELECT c.user, u.name FROM Clicks AS c JOIN Users AS u ON c.user = u.id;
@join(missing='SkipRecord')
INSERT INTO Skipped SELECT c.user, u.name FROM Clicks AS c LEFT JOIN Users AS u ON c.user = u.id;
@join(missing='defaults', default_name='guest', default_tier='0')
INSERT INTO Defaulted SELECT c.user, u.name, u.tier FROM Clicks AS c JOIN Users AS u
  ON c.user = u.id;
@join(missing='retry', retries='3', delay='100 ms')
INSERT INTO Retried SELECT c.user, c.page, u.name FROM Clicks AS c JOIN Users AS u
  ON c.user = u.id;
