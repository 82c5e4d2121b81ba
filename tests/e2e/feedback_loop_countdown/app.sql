-- A feedback loop through an @Async stream: each job goes around until its countdown reaches zero.
-- Replay delivers what a loop feeds back after the batch that produced it (breadth first), so
-- the output is the same on every run. Jobs is read and written, so its input events show too.
@Async(buffer_size='2')
CREATE STREAM Jobs (id INT, n INT);
INSERT INTO Jobs SELECT id, n - 1 AS n FROM Jobs WHERE n > 0;
INSERT INTO Finished SELECT id FROM Jobs WHERE n = 0;
