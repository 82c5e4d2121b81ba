-- A replay line without "ts" for a stream without an event-time attribute is malformed, reported
-- with its line: it is not given time 0. With an event-time attribute the attribute gives the time.
CREATE STREAM S (a INT);
CREATE STREAM E (a INT, t BIGINT) WITH ('event.time.field' = 't');
INSERT INTO OutS SELECT a FROM S;
INSERT INTO OutE SELECT a FROM E;
