-- INSERT ALL EVENTS with a batch window: when a batch closes, the previous batch's events expire
-- (carrying the close time), then the new batch's events are current.
CREATE STREAM S (id INT);
INSERT ALL EVENTS INTO Out SELECT id FROM S WINDOW('timeBatch', 100 ms);
