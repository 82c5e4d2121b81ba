CREATE STREAM S (at TIMESTAMP, n BIGINT);
INSERT INTO Out SELECT at, at + 1000 AS later, at - at AS zero, at > 1000 AS after FROM S;
