-- Siddhi-style windows on a join side. A delay window's event probes when it comes out of the
-- delay, stamped then, and is not held afterwards (before, it was held for ever: x joined B@1600).
-- A timeBatch side probes when it closes, with the batch it emits, each event keeping its own
-- time (Siddhi's).
CREATE STREAM A (k STRING, v INT);
CREATE STREAM B (k STRING, w INT);
INSERT INTO Delayed
SELECT a.k, a.v, b.w FROM A WINDOW('delay', 1 SECOND) AS a JOIN B WINDOW('length', 5) AS b
ON a.k = b.k;
INSERT INTO Batched
SELECT a.k, a.v, b.w FROM A WINDOW('timeBatch', 2 SECONDS) AS a JOIN B WINDOW('length', 5) AS b
ON a.k = b.k;
