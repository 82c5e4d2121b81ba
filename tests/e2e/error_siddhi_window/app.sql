CREATE STREAM InputStream (v INT);
INSERT INTO Out SELECT v FROM InputStream#window.length(5);
