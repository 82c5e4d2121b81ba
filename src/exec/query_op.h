// The operator of a stateless continuous query: filter, project, convert to the target's types,
// and push into the target stream. Failed rows go where the input stream's @onError says.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/histogram.h"
#include "exec/expression.h"
#include "exec/operator.h"
#include "plan/plan.h"
#include "sluice/clock.h"
#include "sluice/status.h"

namespace sluice::exec {

// Every event that reaches a query is counted in events_in and then exactly once more: taken
// (events_out: into its output, or into its window, aggregate, join side or pattern), filtered,
// faulted (sent to the fault stream) or dropped. rows_out counts what the query inserted.
struct QueryCounters {
  std::atomic<uint64_t> events_in{0}, events_out{0}, filtered{0}, faulted{0}, dropped{0};
  std::atomic<uint64_t> rows_out{0};
  std::atomic<uint64_t> errors{0}, late{0};
  std::atomic<uint64_t> log_lines{0};  // failures logged so far (logging is rate-limited)
  LatencyHistogram latency;            // time to process one input batch
};

// Logs one failure of a query, rate-limited: the first 10, then every 10,000th with a count.
void LogFailure(QueryCounters* counters, const std::string& message);

struct QueryEnv {
  const Clock* clock = nullptr;
  BatchConsumer* target = nullptr;
  BatchConsumer* fault_target = nullptr;  // !S, when the input has @onError(action='stream')
  QueryCounters* counters = nullptr;
  // The operator reads the query's input events and counts them; false for the part of a query
  // after a join or a pattern, whose input rows are not events (it counts rows only, and its
  // failed rows as errors).
  bool counts_events = true;
  // Each output row is one input event (a query without state, join or pattern): a row dropped
  // after it left the operator (a DISTINCT repeat, a rejected table write) is that event's fate.
  bool rows_are_events = false;
  std::function<void(const Status&)> fail;  // @onError(action='fail')
};

// Sends rows of `in` that failed (listed with their messages) where the input stream's @onError
// says: the fault stream (rows of `fault_schema` built in `faults`), a log line, a count, or a
// failure of the app.
void RouteFailures(const plan::QueryPlan& plan, const QueryEnv& env,
                   const std::vector<std::pair<uint32_t, std::string>>& failures, const Batch& in,
                   const Schema& fault_schema, Batch* faults);

// The query's target takes its event time from an attribute (WITH ('event.time.field'=...)):
// every row gets that time, whether the query aggregates or not; a row without one is dropped,
// counted and logged. False when no row is left.
bool RestampFromAttribute(const plan::QueryPlan& plan, const QueryEnv& env, Batch* rows);

class FilterProjectOp final : public BatchConsumer {
 public:
  static Result<std::unique_ptr<FilterProjectOp>> Make(const plan::QueryPlan& plan, QueryEnv env);
  void Push(const Batch& in) override;

 private:
  FilterProjectOp(const plan::QueryPlan& plan, QueryEnv env);

  std::mutex mu_;  // one batch at a time: the input may have several producer threads
  const plan::QueryPlan& plan_;
  QueryEnv env_;
  plan::ErrorAction action_;
  std::unique_ptr<VecExpr> filter_;
  std::vector<std::unique_ptr<VecExpr>> projections_;
  EvalContext ctx_;
  std::vector<uint32_t> selected_;
  std::vector<uint32_t> kept_;  // dense positions that survive row errors
  std::vector<const Column*> results_;
  Batch out_;
  Batch faults_;
  Schema fault_schema_;
  bool uses_clock_ = false;
  uint64_t pushes_ = 0;
};

}  // namespace sluice::exec
