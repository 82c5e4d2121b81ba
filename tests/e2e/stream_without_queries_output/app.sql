-- Events sent to streams no query writes are not printed; only inserted events are.
CREATE STREAM A (x INT);
CREATE STREAM B (x INT);
INSERT INTO C SELECT x FROM A;
