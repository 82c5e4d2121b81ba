-- In playback, currentTimeMillis() is event time, so results are identical on every run.
CREATE STREAM S (id INT, text STRING);
INSERT INTO Out
SELECT id, eventTimestamp() AS ets, currentTimeMillis() AS now, formatTimestamp(eventTimestamp()) AS iso,
       parseTimestamp(text) AS parsed, parseTimestamp(text, '%Y-%m-%d %H:%M') AS patterned
FROM S;
