-- CASE x WHEN v ...; without ELSE an unmatched row is NULL.
CREATE STREAM S (code INT);
INSERT INTO Out SELECT code, CASE code WHEN 1 THEN 'one' WHEN 2 THEN 'two' END AS name FROM S;
