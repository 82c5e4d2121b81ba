-- LIKE: % any run, _ one character, backslash escapes.
CREATE STREAM S (msg STRING);
INSERT INTO Out
SELECT msg, msg LIKE 'conn%' AS prefix, msg LIKE '%timeout' AS suffix, msg LIKE '%data%' AS contains,
       msg LIKE 'a_c' AS one_char, msg NOT LIKE '%x%' AS no_x, msg LIKE '100\%' AS literal_pct,
       msg LIKE '%a%c%' AS general
FROM S;
