-- SLIDING(size, slide): a window of `size` every `slide`; one row per group at each boundary.
CREATE STREAM S (k STRING, v INT);
INSERT INTO Out SELECT k, sum(v) AS total, count() AS n FROM S WINDOW SLIDING(20 ms, 10 ms) GROUP BY k;
