-- EVERY NOT Hb FOR 10 SECONDS reports each 10 seconds without a heartbeat; a heartbeat restarts
-- the wait (Siddhi's `every not ... for`). The end of input fires the last wait once.
CREATE STREAM Hb (id STRING, ts BIGINT) WITH ('event.time.field' = 'ts');
INSERT INTO Missing SELECT 'gap' AS what FROM PATTERN (EVERY NOT Hb FOR 10 SECONDS);
