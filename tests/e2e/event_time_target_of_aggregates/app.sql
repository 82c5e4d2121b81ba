-- A query into a stream whose time comes from an attribute ('event.time.field') stamps each row
-- from that attribute, whether it aggregates or not (it used to keep the input's time when it
-- grouped). The downstream window then sees the stamped times.
CREATE STREAM T (sym STRING, v INT, t BIGINT) WITH ('event.time.field' = 't');
CREATE STREAM B (sym STRING, total BIGINT, t BIGINT) WITH ('event.time.field' = 't');
CREATE STREAM P (sym STRING, t BIGINT) WITH ('event.time.field' = 't');
INSERT INTO B SELECT sym, sum(v) AS total, max(t) + 5000 AS t FROM T GROUP BY sym;
INSERT INTO P SELECT sym, t + 5000 AS t FROM T;
INSERT INTO Windowed SELECT count() AS n FROM B WINDOW TUMBLING(10 SECONDS);
