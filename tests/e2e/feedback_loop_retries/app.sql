-- A retry loop: a failed request goes back through Retries into the @Async Requests stream until
-- it succeeds (here: from the second attempt on) or has been tried three times.
@Async(buffer_size='4', workers='1')
CREATE STREAM Requests (id INT, attempt INT, ok BOOL);
INSERT INTO Retries SELECT id, attempt + 1 AS attempt FROM Requests WHERE NOT ok AND attempt < 3;
INSERT INTO Requests SELECT id, attempt, attempt >= 2 AS ok FROM Retries;
INSERT INTO Outcome SELECT id, attempt, ok FROM Requests WHERE ok OR attempt >= 3;
