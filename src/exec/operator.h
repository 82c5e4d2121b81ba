// The contract between the parts that move batches: junctions, query operators, sinks.
//
//  1. Push(batch) may come from several threads at once (senders, source threads, async
//     workers): a consumer that keeps anything between pushes locks it, per batch. The instances
//     of a partitioned pipeline are each fed by one async worker only, and take no shared lock.
//  2. A pushed batch is valid only during the call. A consumer that keeps rows (a window, a
//     queue) copies them, strings included.
//  3. Output is pushed downstream synchronously, inside the Push that produced it; so a batch's
//     results are complete when Push returns, and per-stream order is the order of Push calls.
//  4. Time only moves forward: OnTime(now) is called with non-decreasing values.
//  5. A consumer never blocks while holding a lock that a downstream consumer may need.
#pragma once

#include <cstdint>
#include <limits>

#include "sluice/batch.h"

namespace sluice::exec {

class BatchConsumer {
 public:
  virtual ~BatchConsumer() = default;
  virtual void Push(const Batch& batch) = 0;
};

class StateWriter;
class StateReader;

// The state contract (Core 2): an operator that keeps anything between pushes - events in a
// window, groups and their aggregates, partial matches, a table, a clock - writes all of it with
// Snapshot and reads it back with Restore, into an operator made from the same plan. Scratch that
// every push rebuilds is not state. Both are called with no push or tick running; a bad state
// fails the reader (StateReader::status()), never the process.
// How much an operator keeps: keys (groups, partitions, distinct rows, events held by a join)
// and an estimate of the bytes they take, for Stats() and /metrics.
struct StateSize {
  uint64_t keys = 0;
  uint64_t bytes = 0;
};

class Stateful {
 public:
  virtual ~Stateful() = default;
  virtual void Snapshot(StateWriter& w) const = 0;
  virtual void Restore(StateReader& r) = 0;
  // What it holds now; may lock, never while a push runs on this thread.
  virtual StateSize Size() const = 0;
};

// Work driven by time (windows that expire or close, output rates): the runtime calls OnTime
// when NextDeadline comes due (live), or as event time moves (playback).
class TimedWork {
 public:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  virtual ~TimedWork() = default;
  virtual void OnTime(int64_t now_ms) = 0;
  // The next clock time at which OnTime has work; kNever when none.
  virtual int64_t NextDeadline() const = 0;
  // The input has ended (Flink's final watermark): from now on OnTime moves this operator's time
  // whatever drove it before (the clock, or its events' own times), and NextDeadline names only
  // work that would still emit something, so that the runtime can step time to the end and every
  // open window, session, pattern deadline and output period fires once.
  virtual void EndInput() = 0;
};

}  // namespace sluice::exec
