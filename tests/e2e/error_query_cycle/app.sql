-- A loop of synchronous streams is rejected; the same loop through an @Async stream runs
-- (feedback_loop_* cases).
CREATE STREAM A (x INT);
INSERT INTO B SELECT x FROM A WHERE x > 0;
INSERT INTO A SELECT x - 1 AS x FROM B;
