// The contract between the parts that move batches: junctions, query operators, sinks.
//
//  1. Push(batch) is called by one thread at a time for a given consumer: the thread that
//     publishes into the junction it subscribes to (a source thread, or an async worker).
//  2. A pushed batch is valid only during the call. A consumer that keeps rows (a window, a
//     queue) copies them, strings included.
//  3. Output is pushed downstream synchronously, inside the Push that produced it; so a batch's
//     results are complete when Push returns, and per-stream order is the order of Push calls.
//  4. Time only moves forward: OnTime(now) is called with non-decreasing values.
//  5. A consumer never blocks while holding a lock that a downstream consumer may need.
#pragma once

#include <cstdint>

#include "sluice/batch.h"

namespace sluice::exec {

class BatchConsumer {
 public:
  virtual ~BatchConsumer() = default;
  virtual void Push(const Batch& batch) = 0;
  // The clock moved to `now_ms` with no event (playback's advance_to, a live timer tick).
  virtual void OnTime(int64_t now_ms) {}
};

}  // namespace sluice::exec
