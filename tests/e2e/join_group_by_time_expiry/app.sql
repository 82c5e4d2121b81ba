-- A click counts for an ad the user viewed in the last 10 seconds: a stream-stream join whose
-- joined rows feed a running GROUP BY. A click on its own keeps nothing (no window on Clicks).
CREATE STREAM Views (uid STRING, ad STRING);
CREATE STREAM Clicks (uid STRING, page STRING);
INSERT INTO Conversions
SELECT v.ad, count() AS clicks, last(c.page) AS page
FROM Clicks AS c JOIN Views WINDOW('time', 10 SECONDS) AS v ON c.uid = v.uid
GROUP BY v.ad;
