CREATE STREAM S (a INT, s STRING);
INSERT INTO Out SELECT upper(a) AS u, substr(s, 'x') AS t, sqrt(s) AS q, length() AS n FROM S;
