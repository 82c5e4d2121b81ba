// The parts of AppRuntime::Stats() that read one stream or one query's pipeline.
#pragma once

#include <string>

#include "exec/pipeline.h"
#include "runtime/async_stream.h"
#include "runtime/junction.h"
#include "sluice/metrics.h"

namespace sluice::runtime {

// A stream's counters: its junction's, and its queues' when it is @Async (`async`, else null),
// with the seed's health rules.
StreamStats StreamStatsOf(const std::string& name, const StreamJunction& junction,
                          AsyncStream* async);

// Adds pipeline `p`'s numbers to `q`, the entry of its query: a query split over async workers
// runs one pipeline per worker, and has one entry for all (`first`: `p` is its first
// instance). Percentiles do not add up: the slowest instance's.
void AddPipelineStats(const exec::Pipeline& p, bool first, QueryStats* q);

}  // namespace sluice::runtime
