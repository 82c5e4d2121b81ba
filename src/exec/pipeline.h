// A query's physical pipeline (Core 2): its operators in order, from the one that reads its
// streams to the one that writes its target, each with a stable id (the query's id and the
// operator's place and kind, e.g. "HighPrices/1:aggregate"). BuildPipeline makes it from the bound
// query; the runtime keeps one list of pipelines, and explain, stats and snapshots enumerate
// operators from it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "exec/operator.h"
#include "exec/query_op.h"
#include "plan/plan.h"
#include "sluice/status.h"

namespace sluice::exec {

class MultiStreamOp;
class Table;

// What a pipeline is connected to: the runtime's streams and tables.
struct PipelineContext {
  const Clock* clock = nullptr;
  // Where events inserted into a stream go in (its async queue or its junction).
  std::function<BatchConsumer*(const std::string& stream)> entry;
  std::function<Table*(const std::string& table)> table;
  std::function<void(const Status&)> fail;  // @onError(action='fail')
  bool playback = false;                    // event time comes only from the events
};

class Pipeline {
 public:
  struct Operator {
    std::string id;    // "<query id>/<place>:<kind>"
    std::string kind;  // join, pattern, window, aggregate, select, distinct, table-write, ...
    Stateful* state = nullptr;  // null: it keeps nothing between pushes
  };

  ~Pipeline();

  const plan::QueryPlan& plan() const { return plan_; }
  const std::string& id() const { return plan_.id; }
  const std::vector<Operator>& operators() const { return operators_; }
  // Where each stream the query reads enters the pipeline; the runtime subscribes them.
  const std::vector<std::pair<const plan::StreamDef*, BatchConsumer*>>& inputs() const {
    return inputs_;
  }
  // The pipeline's time-driven work (its front operator drives the rest), or null.
  TimedWork* timed() const { return timed_; }
  const QueryCounters& counters() const { return counters_; }

  // Every stateful operator's state, under its id. Called with no push or tick running.
  void Snapshot(StateWriter& w) const;
  // Reads what Snapshot wrote into a pipeline built from the same query; a state whose operators
  // do not match this pipeline's (the query changed under its id) is an error naming them.
  Status Restore(StateReader& r);

 private:
  friend Result<std::unique_ptr<Pipeline>> BuildPipeline(const plan::QueryPlan& q,
                                                         const PipelineContext& ctx);
  explicit Pipeline(const plan::QueryPlan& plan);
  void Add(std::string kind, Stateful* state);

  const plan::QueryPlan& plan_;
  QueryCounters counters_;
  // Owned, last operator first so that each is built knowing the next.
  std::vector<std::unique_ptr<BatchConsumer>> chain_;
  std::unique_ptr<MultiStreamOp> front_;  // a join or a pattern, or null
  std::vector<Operator> operators_;       // in pipeline order
  std::vector<std::pair<const plan::StreamDef*, BatchConsumer*>> inputs_;
  TimedWork* timed_ = nullptr;
};

// The physical planning step: makes the operators of `q` and connects them.
Result<std::unique_ptr<Pipeline>> BuildPipeline(const plan::QueryPlan& q,
                                                const PipelineContext& ctx);

}  // namespace sluice::exec
