-- Quoted numbers in input are converted as CAST would; numbers for STRING attributes become text.
CREATE STREAM S (n BIGINT, d DOUBLE, s STRING, b BOOL);
INSERT INTO Out SELECT n, d, s, b FROM S;
