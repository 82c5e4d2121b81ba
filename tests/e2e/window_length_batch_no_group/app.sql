-- lengthBatch without GROUP BY: one row per batch; without aggregates, every event of the batch.
CREATE STREAM S (id INT, v INT);
INSERT INTO Totals SELECT sum(v) AS total, max(id) AS last_id FROM S WINDOW('lengthBatch', 2);
INSERT INTO Events SELECT id FROM S WINDOW('lengthBatch', 2);
