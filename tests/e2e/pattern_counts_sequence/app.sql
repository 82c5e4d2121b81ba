-- Counted elements collect events ({n,m}, +, ?, *): e[0] is the first, e[last] the last; the
-- next element may take over once the minimum is reached (reluctant, as Siddhi). A SEQUENCE is
-- strict: an event of its streams that a started match cannot take ends it (with EVERY, that
-- event may start the next one). An optional element (?) may be skipped: its attributes are NULL.
CREATE STREAM Failed (uid STRING, ip STRING);
CREATE STREAM Locked (uid STRING);
CREATE STREAM Login (uid STRING);
CREATE STREAM Access (uid STRING, page STRING);
CREATE STREAM Logout (uid STRING);
INSERT INTO BruteForce
SELECT e1[0].ip AS first_ip, e1[last].ip AS last_ip, e2.uid
FROM PATTERN (EVERY (e1=Failed[uid == e1[0].uid]{3,5} -> e2=Locked[uid == e1[0].uid]) WITHIN 10 MINUTES);
INSERT INTO Sessions
SELECT a.uid, b[0].page AS first_page, b[last].page AS last_page
FROM SEQUENCE EVERY (a=Login, b=Access+, c=Logout);
INSERT INTO MaybeRetried
SELECT f.uid, r.ip AS retry_ip, l.uid AS locked
FROM PATTERN EVERY f=Failed -> r=Failed[uid == f.uid]? -> l=Locked[uid == f.uid];
