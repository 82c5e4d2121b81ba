-- WINDOW SESSION(gap) with GROUP BY keeps a session per key (Flink SQL, ksqlDB): a key's session
-- closes when that key is quiet for gap. A key's second session starts afresh: its aggregates,
-- eventTimestamp() ones included, know nothing of the first. Per event (no EMIT FINAL) a row
-- shows the session so far: window_end is its latest event plus the gap.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Sessions
SELECT k, count() AS n, window_start, window_end, min(eventTimestamp()) AS first_ts,
       first(eventTimestamp()) AS f, sum(v) AS total
FROM S WINDOW SESSION(30 SECONDS) GROUP BY k EMIT FINAL;
INSERT INTO Live SELECT k, count() AS n, window_start, window_end
FROM S WINDOW SESSION(30 SECONDS) GROUP BY k;
