CREATE STREAM event_stream (kind STRING, event_timestamp STRING);
CREATE STREAM events AS
SELECT * FROM event_stream
WITH ('event.time.field' = 'event_timestamp', 'event.time.format' = 'iso8601');
