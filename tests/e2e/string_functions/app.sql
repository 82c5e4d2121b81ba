CREATE STREAM S (s STRING);
INSERT INTO Out
SELECT upper(s) AS u, lower(s) AS l, length(s) AS len, trim(s) AS t, ltrim(s) AS lt, rtrim(s) AS rt,
       reverse(s) AS r
FROM S;
