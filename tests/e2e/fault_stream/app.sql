-- With @onError(action='stream'), a failing event goes to !S with its attributes and _error.
@onError(action='stream')
CREATE STREAM FaultTolerantStream (data STRING);
INSERT INTO Parsed SELECT CAST(data AS BIGINT) AS n FROM FaultTolerantStream;
INSERT INTO Faults SELECT data, _error FROM !FaultTolerantStream;
