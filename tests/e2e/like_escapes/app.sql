-- In a LIKE pattern \% and \_ match a literal % and _ (the string keeps an escape it does not
-- know, so that LIKE sees it).
CREATE STREAM S (m STRING);
INSERT INTO Percent SELECT m FROM S WHERE m LIKE '100\%';
INSERT INTO Under SELECT m FROM S WHERE m LIKE 'a\_c';
