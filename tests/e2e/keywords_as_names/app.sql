-- Keywords may name attributes where that is unambiguous; backquotes quote any name.
CREATE STREAM S (timestamp BIGINT, value DOUBLE, type STRING, `select` INT);
INSERT INTO Out SELECT timestamp, value * 2 AS value, type, `select` + 1 AS `from` FROM S WHERE type = 'a';
