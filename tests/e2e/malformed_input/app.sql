-- Bad input lines are reported with their line number and skipped; the rest is processed.
CREATE STREAM S (a INT, b STRING);
INSERT INTO Out SELECT a, b FROM S;
