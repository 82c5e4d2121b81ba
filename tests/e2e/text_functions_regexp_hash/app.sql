-- split_index (Flink: from 0, NULL past the end), regexp_extract (the first group by default, 0
-- the whole match, NULL without a match), regexp_replace (every match, $1 for a group), md5 and
-- sha256 (lower-case hex), now() and CURRENT_TIMESTAMP (the clock: event time here).
CREATE STREAM S (line STRING);
INSERT INTO Parts
SELECT split_index(line, ',', 0) AS first, split_index(line, ',', 2) AS third,
       split_index(line, ',', 9) AS tenth,
       regexp_extract(line, 'id=([0-9]+)') AS id,
       regexp_extract(line, '([a-z]+)=([0-9]+)', 2) AS value,
       regexp_extract(line, 'x+', 0) AS xs,
       regexp_replace(line, '[0-9]+', '#') AS masked,
       regexp_replace(line, '(\w+)=', '$1:') AS colons
FROM S;
INSERT INTO Hashes SELECT md5(line) AS m, sha256(line) AS h, now() AS at,
  CURRENT_TIMESTAMP AS also FROM S WHERE line = 'abc';
