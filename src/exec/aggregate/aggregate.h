// Incremental aggregate functions over groups. Each keeps flat per-group state indexed by a
// dense group id and supports Add and, for windows, Remove (retraction) in O(1) amortized:
// min/max use a monotonic deque when events leave in arrival order, a counted ordered map
// otherwise; stddev uses Welford's method; sums of doubles are compensated (Neumaier).
#pragma once

#include <memory>

#include "exec/state/state_io.h"
#include "plan/plan.h"
#include "sluice/batch.h"

namespace sluice::exec {

class Aggregator {
 public:
  virtual ~Aggregator() = default;
  // Makes room for group ids below `groups`.
  virtual void Grow(size_t groups) = 0;
  // Adds or removes the value in row `row` of `arg` (ignored by count()).
  virtual void Add(uint32_t group, const Column& arg, size_t row) = 0;
  virtual void Remove(uint32_t group, const Column& arg, size_t row) = 0;
  virtual void Reset(uint32_t group) = 0;
  // Writes the group's current result into row `row` of `out` (strings into `arena`).
  virtual void Get(uint32_t group, Column* out, size_t row, StringArena* arena) = 0;
  // The state of every group (exec/state/state_io.h); Restore into an aggregator made from the
  // same plan, which then has exactly the groups of the snapshot.
  virtual void Snapshot(StateWriter& w) const = 0;
  virtual void Restore(StateReader& r) = 0;
  // Adds rows 0..n-1 of `arg`, row k to group groups[k], writing after each the group's result
  // into row out_row + k of `out`: a whole batch in one call (tight loops where it matters).
  virtual void AddRun(const uint32_t* groups, const Column& arg, size_t n, Column* out,
                      size_t out_row, StringArena* arena) {
    for (size_t k = 0; k < n; ++k) {
      Add(groups[k], arg, k);
      Get(groups[k], out, out_row + k, arena);
    }
  }
};

// `windowed`: values may be removed; `fifo`: removals come in the order of additions (per group).
// `arg_type` is the argument's type (ignored for count()).
std::unique_ptr<Aggregator> MakeAggregator(const plan::AggregatePlan& plan, DataType arg_type,
                                           bool windowed, bool fifo);

}  // namespace sluice::exec
