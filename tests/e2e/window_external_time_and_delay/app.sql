-- externalTime(attr, t): time from an attribute; delay(t): each event comes out t later.
CREATE STREAM S (id INT, at BIGINT);
INSERT ALL EVENTS INTO Ext SELECT id, count() AS n FROM S WINDOW('externalTime', at, 100 ms);
INSERT INTO Delayed SELECT id FROM S WINDOW('delay', 50 ms);
