CREATE STREAM S (s STRING, t STRING);
INSERT INTO Out SELECT contains(s, t) AS c, startsWith(s, t) AS sw, ends_with(s, t) AS ew FROM S;
