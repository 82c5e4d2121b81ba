// The HTTP source benchmark of sluice-bench (docs/connectors.md): events per second POSTed as
// JSON lines into `sluice run`'s HTTP source, beside a hand-written cpp-httplib server that
// parses the same bodies with simdjson and does nothing else, with the same client, in one run.
#pragma once

namespace sluice::bench {

// Prints one line per measurement (JSON lines with `json`); returns non-zero when a run failed.
int RunHttpSourceBenchmarks(bool quick, bool json);

}  // namespace sluice::bench
