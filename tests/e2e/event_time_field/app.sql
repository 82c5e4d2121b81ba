-- The event time comes from an attribute: epoch seconds here.
CREATE STREAM Readings (sensor STRING, at BIGINT, v DOUBLE)
WITH ('event.time.field' = 'at', 'event.time.format' = 'epoch_seconds');
INSERT INTO Out SELECT sensor, v, eventTimestamp() AS t FROM Readings;
