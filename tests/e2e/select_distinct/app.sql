-- SELECT DISTINCT: a row goes out the first time it is seen, as Flink's unbounded DISTINCT (NULL
-- equals NULL here, as in SQL's DISTINCT); repeats count as filtered.
CREATE STREAM Logins (uid STRING, country STRING, device STRING);
INSERT INTO NewPlaces SELECT DISTINCT uid, country FROM Logins;
INSERT INTO Devices SELECT DISTINCT device FROM Logins WHERE device IS NOT NULL OR uid = 'u3';
