-- substr is 1-based, as in SQL.
CREATE STREAM S (s STRING);
INSERT INTO Out
SELECT substr(s, 2, 3) AS mid, substr(s, 3) AS tail, substring(s, 0, 2) AS head, substr(s, 10, 2) AS past,
       replace(s, 'l', 'L') AS rep
FROM S;
