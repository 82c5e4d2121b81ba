-- Table writes and lookups that cannot run.
CREATE TABLE T (k INT PRIMARY KEY, v DOUBLE);
CREATE TABLE U (k INT PRIMARY KEY, w DOUBLE);
CREATE STREAM S (k INT, v DOUBLE);
SELECT k, v FROM S UPDATE T SET v = v;
SELECT k, v FROM S UPDATE T ON T.k = k;
SELECT k, v FROM S UPDATE T SET nope = v ON T.k = k;
SELECT k, v FROM S UPDATE S SET v = v ON S.k = k;
INSERT INTO X SELECT s.k FROM S AS s JOIN T WINDOW('length', 5) AS t ON s.k = t.k;
INSERT INTO Y SELECT t.k FROM T AS t JOIN U AS u ON t.k = u.k;
