// The `-- @metric` metrics of a query (plan::MetricPlan): fed by the rows the query inserts, just
// before they go into its target, then passed on. One lock per batch; a series per combination
// of label values, at most max_series of them (rows beyond are counted as dropped, and logged
// once).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "exec/expression.h"
#include "exec/operator.h"
#include "exec/query_op.h"
#include "plan/plan.h"
#include "sluice/metrics.h"

namespace sluice::exec {

class MetricOp final : public BatchConsumer {
 public:
  static Result<std::unique_ptr<MetricOp>> Make(const plan::QueryPlan& q, BatchConsumer* next,
                                                QueryCounters* counters);
  void Push(const Batch& rows) override;
  // Adds the metrics' series into `out`, merging with those of the same name (the instances of a
  // partitioned query).
  void AppendStats(std::vector<UserMetricStats>* out) const;

 private:
  struct Series {
    std::vector<std::string> values;
    double value = 0;
    std::vector<uint64_t> buckets;
    double sum = 0;
    uint64_t count = 0;
  };
  struct Metric {
    const plan::MetricPlan* plan = nullptr;
    std::unique_ptr<VecExpr> condition;
    absl::flat_hash_map<std::string, uint32_t> index;  // label values' key -> series
    std::vector<Series> series;
    uint64_t dropped = 0;
  };

  MetricOp(const plan::QueryPlan& q, BatchConsumer* next, QueryCounters* counters)
      : query_(q), next_(next), counters_(counters) {}
  void Feed(Metric& m, const Batch& rows);

  const plan::QueryPlan& query_;
  BatchConsumer* next_;
  QueryCounters* counters_;
  mutable std::mutex mu_;
  std::vector<Metric> metrics_;
  EvalContext ctx_;
  std::string key_;
};

}  // namespace sluice::exec
