// The checkpoint benchmarks of sluice-bench (docs/state.md): a checkpoint of GROUP BY state with
// 1M keys (time, pause, bytes) and its restore, and tumbling_keyed's steady throughput with
// checkpoints every second against none, in the same run.
#pragma once

namespace sluice::bench {

// Prints one line per measurement (JSON lines with `json`); returns non-zero when a run failed.
int RunCheckpointBenchmarks(bool quick, bool json);

}  // namespace sluice::bench
