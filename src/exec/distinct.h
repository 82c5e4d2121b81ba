// SELECT DISTINCT on a stream: a query's output row goes on only the first time it is seen (as
// Flink's unbounded DISTINCT; the set of rows seen grows with the distinct rows, unless the query
// bounds it). Sits between a query operator and its target; a repeated row is not output (and,
// where each row is one input event, that event counts as filtered). With a state TTL a row not
// seen for that long is forgotten (it goes out again when it comes back); with a key limit a new
// row once the set is full is dropped, counted and logged.
#pragma once

#include <limits>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "exec/operator.h"
#include "exec/query_op.h"
#include "plan/options.h"

namespace sluice::exec {

class DistinctOp final : public BatchConsumer, public Stateful {
 public:
  DistinctOp(BatchConsumer* target, QueryCounters* counters, bool rows_are_events,
             plan::StateLimits limits, std::string query)
      : target_(target),
        counters_(counters),
        rows_are_events_(rows_are_events),
        limits_(limits),
        query_(std::move(query)) {}
  void Push(const Batch& batch) override;
  // The rows seen so far, with when each was last seen.
  void Snapshot(StateWriter& w) const override;
  void Restore(StateReader& r) override;
  StateSize Size() const override;

 private:
  void Sweep(int64_t now);

  mutable std::mutex mu_;
  BatchConsumer* target_;
  QueryCounters* counters_;
  bool rows_are_events_;
  plan::StateLimits limits_;
  std::string query_;
  absl::flat_hash_map<std::string, int64_t> seen_;  // row key -> when last seen
  int64_t now_ = std::numeric_limits<int64_t>::min();
  int64_t next_sweep_ = std::numeric_limits<int64_t>::min();
  std::string key_;
  Batch out_;
};

}  // namespace sluice::exec
