-- Equal timestamps keep arrival order; many groups each keep their own state.
CREATE STREAM S (k INT, v INT);
INSERT INTO Out SELECT k, sum(v) AS s FROM S WINDOW('timeBatch', 10 ms) GROUP BY k % 4;
