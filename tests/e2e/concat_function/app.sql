-- concat takes any types; NULL arguments are skipped.
CREATE STREAM S (a STRING, b STRING, n INT, d DOUBLE);
INSERT INTO Out SELECT concat(a, '-', b) AS ab, concat('n=', n, ', d=', d) AS nums FROM S;
