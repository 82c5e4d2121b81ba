-- Bounded state (Flink's table.exec.state.ttl, plus a key limit). SET 'state.ttl' applies to every
-- query: a running group idle for 10 s starts afresh when its key comes again (its row is an
-- insert again), and idle groups are dropped. @state gives one query its own limits: this one
-- holds at most two keys, and a third is refused (counted and logged) until one is dropped.
SET 'state.ttl' = '10 s';
CREATE STREAM S (k STRING, v INT);
INSERT INTO Totals SELECT k, sum(v) AS total, count() AS n FROM S GROUP BY k;
@state(max_keys='2')
INSERT INTO Limited SELECT k, count() AS n FROM S GROUP BY k;
