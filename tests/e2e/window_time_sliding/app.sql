-- time(t): an event expires t after its time; expiry runs when event time passes it, before the
-- arriving event (and on advance_to lines), and the expired event carries ts + t.
CREATE STREAM S (id INT, v INT);
INSERT ALL EVENTS INTO Out SELECT id, sum(v) AS total, count() AS n FROM S WINDOW('time', 10 ms);
