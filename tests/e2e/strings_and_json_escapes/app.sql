-- Strings keep quotes, backslashes and unicode; output is valid JSON.
CREATE STREAM S (s STRING);
INSERT INTO Out SELECT s, concat(s, '''') AS quoted, length(s) AS n FROM S;
