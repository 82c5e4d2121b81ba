-- An event whose window has already closed is late: counted and sent to the fault stream (here),
-- never merged silently. Allowed lateness keeps a window open longer.
@onError(action='stream')
CREATE STREAM S (id INT, v INT) WITH ('event.time.allowed.lateness' = '50');
INSERT INTO Out SELECT sum(v) AS total, count() AS n FROM S WINDOW TUMBLING(100 ms);
INSERT INTO Late SELECT id, _error FROM !S;
