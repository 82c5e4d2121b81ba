-- A regular expression is compiled once, when the app is checked: it is a literal, and it must
-- compile; split_index takes an integer index.
CREATE STREAM S (line STRING, p STRING, n INT);
INSERT INTO A SELECT regexp_extract(line, '([0-9]+') AS x FROM S;
INSERT INTO B SELECT regexp_replace(line, p, '') AS y FROM S;
INSERT INTO C SELECT regexp_extract(line, '(a)', n) AS z FROM S;
INSERT INTO D SELECT split_index(line, ',', 'one') AS w FROM S;
INSERT INTO E SELECT md5(n) AS v FROM S;
