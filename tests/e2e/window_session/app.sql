-- SESSION(gap, key): a session closes when its key is quiet for gap; with EMIT FINAL one row per
-- session, carrying the close time (last event + gap).
CREATE STREAM Clicks (user STRING, page STRING);
INSERT INTO Sessions
SELECT user, count() AS clicks, first(page) AS entry, last(page) AS exit_page
FROM Clicks WINDOW('session', 30 ms, user)
GROUP BY user EMIT FINAL;
INSERT EXPIRED EVENTS INTO Ended SELECT user, page FROM Clicks WINDOW SESSION(30 ms);
