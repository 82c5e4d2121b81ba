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

class MetricOp;
class MultiStreamOp;
class Pipeline;
class Table;

// What a pipeline is connected to: the runtime's streams and tables.
struct PipelineContext {
  const Clock* clock = nullptr;
  // Where events inserted into a stream go in (its async queue or its junction).
  std::function<BatchConsumer*(const std::string& stream)> entry;
  std::function<Table*(const std::string& table)> table;
  std::function<void(const Status&)> fail;  // @onError(action='fail')
  bool playback = false;                    // event time comes only from the events
  // Instance `instance` (from 0) of a query partitioned over an async stream's workers; each has
  // its own counters (a push's accounting reads them), summed by Stats().
  int instance = 0;
};

// Whether N instances of `q`, each fed the events of the key groups one async worker owns (by
// `partition_column` of its input; -1: whole batches round-robin), give the results of one
// instance. True for a query without state, and for a GROUP BY on the partition key without a
// window or with a window that keeps time the same way in every instance (TUMBLING, SLIDING and
// per-key SESSION on the clock); a global aggregate, ORDER BY, LIMIT, DISTINCT, an output rate, a
// table write, a join or a pattern stays single, behind the merge of the workers.
bool Partitionable(const plan::QueryPlan& q, int partition_column);

struct StatefulPath;
// Where a stateful query's window events live and how its aggregates are fed (see StatefulPath).
StatefulPath ChooseStatefulPath(const plan::QueryPlan& q);

class Pipeline {
 public:
  struct Operator {
    std::string id;    // "<query id>/<place>:<kind>"
    std::string kind;  // join, pattern, window, aggregate, select, distinct, table-write, ...
    Stateful* state = nullptr;  // null: it keeps nothing between pushes
    std::string physical;       // the physical choice made for it, for explain ("" if none)
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
  const QueryCounters& counters() const { return *counters_; }
  // Which instance this is of a query partitioned over async workers (0: the first or only one).
  int instance() const { return instance_; }
  // The query's -- @metric metrics, or null when it declares none.
  const MetricOp* metrics() const { return metrics_; }

  // Whether any of its operators keeps state.
  bool stateful() const {
    for (const Operator& op : operators_)
      if (op.state) return true;
    return false;
  }
  // What its stateful operators hold now.
  StateSize Size() const;
  // Every stateful operator's state, under its id. Called with no push or tick running.
  void Snapshot(StateWriter& w) const;
  // Reads what Snapshot wrote into a pipeline built from the same query; a state whose operators
  // do not match this pipeline's (the query changed under its id) is an error naming them.
  Status Restore(StateReader& r);
  // Whether `data` (what Snapshot wrote) fits this pipeline's query (plan::QueryPlan::
  // StateShape). Reads only its head; the error says what changed.
  Status Fits(std::string_view data) const;

 private:
  friend Result<std::unique_ptr<Pipeline>> BuildPipeline(const plan::QueryPlan& q,
                                                         const PipelineContext& ctx);
  explicit Pipeline(const plan::QueryPlan& plan);
  void Add(std::string kind, Stateful* state, std::string physical = "");

  const plan::QueryPlan& plan_;
  QueryCounters own_counters_;
  QueryCounters* counters_ = &own_counters_;
  int instance_ = 0;
  // Owned, last operator first so that each is built knowing the next.
  std::vector<std::unique_ptr<BatchConsumer>> chain_;
  std::unique_ptr<MultiStreamOp> front_;  // a join or a pattern, or null
  std::vector<Operator> operators_;       // in pipeline order
  std::vector<std::pair<const plan::StreamDef*, BatchConsumer*>> inputs_;
  TimedWork* timed_ = nullptr;
  const MetricOp* metrics_ = nullptr;
};

// The physical planning step: makes the operators of `q` and connects them.
Result<std::unique_ptr<Pipeline>> BuildPipeline(const plan::QueryPlan& q,
                                                const PipelineContext& ctx);

}  // namespace sluice::exec
