-- @metric comments that do not fit the query below them.
CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT);
-- @metric: trades_total
-- @metric_type: countr
-- @metric_labels: symbol, sym
INSERT INTO A SELECT symbol, volume FROM Trades;
-- @metric: 9lives
INSERT INTO B SELECT symbol FROM Trades;
-- @metric: price_gauge
-- @metric_type: gauge
INSERT INTO C SELECT symbol, price FROM Trades;
-- @metric: d_total
-- @metric_field: symbol
-- @metric_condition: volume > 'many'
-- @metric_colour: red
INSERT INTO D SELECT symbol, volume FROM Trades;
-- @metric_type: counter
INSERT INTO E SELECT symbol FROM Trades;
-- @metric: on_a_definition
CREATE STREAM Quotes (symbol STRING);
-- @metric: big_volume
-- @metric_type: histogram
-- @metric_field: volume
-- @metric_buckets: 10, 5

INSERT INTO F SELECT volume FROM Trades;
-- @metric: sluice_stream_events_total
-- @metric: latency
-- @metric_type: histogram
-- @metric_field: volume
-- @metric: latency_count
INSERT INTO G SELECT volume FROM Trades;
