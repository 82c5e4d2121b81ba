// SELECT DISTINCT on a stream: a query's output row goes on only the first time it is seen (as
// Flink's unbounded DISTINCT; the set of rows seen grows with the distinct rows). Sits between a
// query operator and its target; a repeated row is not output (and, where each row is one input
// event, that event counts as filtered).
#pragma once

#include <mutex>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "exec/operator.h"
#include "exec/query_op.h"

namespace sluice::exec {

class DistinctOp final : public BatchConsumer, public Stateful {
 public:
  DistinctOp(BatchConsumer* target, QueryCounters* counters, bool rows_are_events)
      : target_(target), counters_(counters), rows_are_events_(rows_are_events) {}
  void Push(const Batch& batch) override;
  // The rows seen so far.
  void Snapshot(StateWriter& w) const override;
  void Restore(StateReader& r) override;

 private:
  mutable std::mutex mu_;
  BatchConsumer* target_;
  QueryCounters* counters_;
  bool rows_are_events_;
  absl::flat_hash_set<std::string> seen_;
  std::string key_;
  Batch out_;
};

}  // namespace sluice::exec
