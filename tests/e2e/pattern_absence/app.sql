-- NOT ... FOR: at the start, a silence of that long (a matching event starts the wait afresh;
-- EVERY waits again after each match); after an element, no such event within that time.
-- A match of a NOT step is timestamped with its deadline.
CREATE STREAM Readings (device STRING, v DOUBLE);
CREATE STREAM Orders (id INT);
CREATE STREAM Shipments (order_id INT);
INSERT INTO Silent
SELECT 'DEVICE_001' AS device, currentTimeMillis() AS at
FROM PATTERN (NOT Readings[device == 'DEVICE_001'] FOR 5 SECONDS);
INSERT INTO EverySilent
SELECT 'DEVICE_001' AS device, currentTimeMillis() AS at
FROM PATTERN EVERY (NOT Readings[device == 'DEVICE_001'] FOR 5 SECONDS);
INSERT INTO Unshipped
SELECT o.id
FROM PATTERN EVERY o=Orders -> NOT Shipments[order_id == o.id] FOR 3 SECONDS;
