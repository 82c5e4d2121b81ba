// The Redis sink benchmarks of sluice-bench (docs/connectors.md): rows written per second through
// the sink runtime with pipelined batches against one command per round trip, and a hand-written
// hiredis loop pipelining the same SETs, against a redis-server the benchmark starts on loopback.
#pragma once

namespace sluice::bench {

// Prints one line per measurement (JSON lines with `json`); returns non-zero when a run failed.
// Skipped, with a line that says so, when redis-server is not installed.
int RunRedisSinkBenchmarks(bool quick, bool json);
// A stream joined with a table that lives in Redis: events per second with one pipelined lookup
// per batch (uncached, and with the table's cache), beside hand-written hiredis loops that look
// the same keys up per batch and per event.
int RunRedisTableBenchmarks(bool quick, bool json);

}  // namespace sluice::bench
