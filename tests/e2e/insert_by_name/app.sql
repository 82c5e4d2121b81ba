-- The select list's names are exactly the target's attribute names: values go by name.
CREATE STREAM S (a INT, b STRING);
CREATE STREAM Target (b STRING, a BIGINT);
INSERT INTO Target SELECT a, b FROM S;
