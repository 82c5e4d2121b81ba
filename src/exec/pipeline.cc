#include "exec/pipeline.h"

#include <algorithm>
#include <sstream>

#include "exec/distinct.h"
#include "exec/join/join.h"
#include "exec/metric_op.h"
#include "exec/pattern/pattern.h"
#include "exec/state/state_io.h"
#include "exec/stateful_query_op.h"
#include "exec/table.h"

namespace sluice::exec {

namespace {

// What the stateful operator of `q` chiefly does, for its id and for people.
std::string StatefulKind(const plan::QueryPlan& q) {
  if (q.window) return "window";
  if (!q.aggregates.empty() || !q.group_by.empty()) return "aggregate";
  if (q.rate) return "output-rate";
  if (!q.order_by.empty() || q.limit >= 0 || q.offset > 0) return "order-limit";
  return "stateful";
}

}  // namespace

StatefulPath ChooseStatefulPath(const plan::QueryPlan& q) {
  using WK = plan::WindowPlan::Kind;
  StatefulPath path;
  const bool aggregating = !q.aggregates.empty() || !q.group_by.empty();
  const bool per_event = !q.EmitsOnClose();
  const bool current_only = q.events == plan::OutputEvents::kCurrent;
  path.update_late = q.input->event_time.late_data == plan::LateData::kUpdate && q.window &&
                     (q.window->kind == WK::kTimeBatch || q.window->kind == WK::kSliding) &&
                     !per_event;
  bool fifo_sliding = q.window && (q.window->kind == WK::kLength || q.window->kind == WK::kTime ||
                                   q.window->kind == WK::kTimeLength);
  bool ring = per_event && current_only && (!q.window || fifo_sliding);
  // The ring keeps aggregate arguments in fixed-width columns.
  for (const plan::AggregatePlan& a : q.aggregates)
    if (a.arg && a.arg->type.physical() == PhysicalType::kString) ring = false;
  // A group whose state TTL expires part-way through a batch must restart between two of its
  // events: the ring adds a whole batch to the aggregates at once.
  if (q.state.ttl_ms > 0 && !q.group_by.empty() && aggregating && !q.window) ring = false;
  if (ring) {
    path.kind = StatefulPath::Kind::kRing;
    if (q.window && q.window->kind != WK::kTime) path.ring_length = q.window->length;
    if (q.window && q.window->kind != WK::kLength) path.ring_time = q.window->time_ms;
    return path;
  }
  if (!path.update_late && !per_event && current_only && aggregating && q.window &&
      (q.window->kind == WK::kTimeBatch || q.window->kind == WK::kLengthBatch) &&
      q.input->event_time.allowed_lateness_ms == 0)
    path.kind = StatefulPath::Kind::kBatch;
  return path;
}

bool Partitionable(const plan::QueryPlan& q, int partition_column) {
  // A key limit is the whole query's: instances would each hold that many.
  if (q.join || q.pattern || q.table_write || q.distinct || !q.order_by.empty() || q.limit >= 0 ||
      q.offset > 0 || q.rate || q.state.max_keys > 0)
    return false;
  if (!q.IsStateful()) return true;
  bool grouped_by_key = false;
  for (const plan::BoundExprPtr& g : q.group_by)
    grouped_by_key =
        grouped_by_key || (partition_column >= 0 && g->kind == plan::BoundExpr::Kind::kColumn &&
                           g->column == partition_column);
  if (!grouped_by_key) return false;
  if (!q.window) return true;
  // An instance's event time moves only with its own events; the clock moves all of them alike.
  if (q.input->moves_with_event_time()) return false;
  using K = plan::WindowPlan::Kind;
  const plan::WindowPlan& w = *q.window;
  return (w.kind == K::kTimeBatch && w.has_start) || w.kind == K::kSliding ||
         (w.kind == K::kSession &&
          (w.session_per_group || (w.key_column >= 0 && w.key_column == partition_column)));
}

Pipeline::Pipeline(const plan::QueryPlan& plan) : plan_(plan) {}
Pipeline::~Pipeline() = default;

void Pipeline::Add(std::string kind, Stateful* state, std::string physical) {
  // Built from the end: each new operator goes in front; places are numbered once all are in.
  operators_.insert(operators_.begin(), Operator{"", std::move(kind), state, std::move(physical)});
}

Result<std::unique_ptr<Pipeline>> BuildPipeline(const plan::QueryPlan& q,
                                                const PipelineContext& ctx) {
  std::unique_ptr<Pipeline> p(new Pipeline(q));
  p->instance_ = ctx.instance;
  QueryEnv env;
  env.clock = ctx.clock;
  env.counters = p->counters_;
  env.fail = ctx.fail;
  env.rows_are_events = !q.NeedsState() && !q.join && !q.pattern;
  if (!q.input->fault_stream.empty()) env.fault_target = ctx.entry(q.input->fault_stream);

  // From the end backwards: the table write or the target stream, DISTINCT, then the query.
  if (q.table_write) {
    ASSIGN_OR_RETURN(std::unique_ptr<TableWriteOp> writer,
                     TableWriteOp::Make(q, ctx.table(q.table_write->table->name), env,
                                        ctx.entry(q.table_write->table->name)));
    env.target = writer.get();
    p->Add("table-write", nullptr);
    p->chain_.push_back(std::move(writer));
  } else {
    env.target = ctx.entry(q.target->name);
  }
  if (!q.metrics.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<MetricOp> metrics,
                     MetricOp::Make(q, env.target, env.counters));
    env.target = metrics.get();
    p->metrics_ = metrics.get();
    p->Add("metric", nullptr);
    p->chain_.push_back(std::move(metrics));
  }
  if (q.distinct) {
    auto distinct = std::make_unique<DistinctOp>(env.target, env.counters, env.rows_are_events,
                                                 q.state, q.name);
    env.target = distinct.get();
    p->Add("distinct", distinct.get());
    p->chain_.push_back(std::move(distinct));
  }

  // Time moves the query's windows, unless every stream it reads takes its times from an
  // attribute (then only those times do). Playback: only the events' times, always.
  bool driven_by_clock = ctx.playback;
  if (!driven_by_clock) {
    driven_by_clock = true;
    for (const plan::StreamDef* source : q.Sources())
      driven_by_clock = driven_by_clock && !source->moves_with_event_time();
  }
  // After a join or a pattern, the rest of the query reads rows, not events: the join or pattern
  // counts the events.
  QueryEnv rest_env = env;
  rest_env.counts_events = !q.join && !q.pattern;
  TimedWork* rest_timed = nullptr;
  BatchConsumer* rest = nullptr;
  if (q.NeedsState()) {
    StatefulPath path = ChooseStatefulPath(q);
    ASSIGN_OR_RETURN(std::unique_ptr<StatefulQueryOp> s,
                     StatefulQueryOp::Make(q, rest_env, driven_by_clock, path));
    rest_timed = s.get();
    rest = s.get();
    p->Add(StatefulKind(q), s.get(), path.Name());
    p->chain_.push_back(std::move(s));
  } else {
    ASSIGN_OR_RETURN(std::unique_ptr<FilterProjectOp> f, FilterProjectOp::Make(q, rest_env));
    rest = f.get();
    p->Add("select", nullptr);
    p->chain_.push_back(std::move(f));
  }

  if (q.join) {
    const Table* tables[2] = {nullptr, nullptr};
    const plan::StreamDef* sides[2] = {q.join->left.stream, q.join->right.stream};
    for (int side = 0; side < 2; ++side)
      if (sides[side]->is_table) tables[side] = ctx.table(sides[side]->name);
    ASSIGN_OR_RETURN(std::unique_ptr<JoinOp> join,
                     JoinOp::Make(q, env, rest, rest_timed, driven_by_clock, tables));
    // A table side is looked up, not subscribed: its stream carries the table's changelog.
    BatchConsumer* ports[2] = {join->left(), join->right()};
    for (int side = 0; side < 2; ++side)
      if (!sides[side]->is_table) p->inputs_.emplace_back(sides[side], ports[side]);
    p->Add("join", join.get());
    p->timed_ = join.get();
    p->front_ = std::move(join);
  } else if (q.pattern) {
    ASSIGN_OR_RETURN(std::unique_ptr<PatternOp> pattern,
                     PatternOp::Make(q, env, rest, rest_timed, driven_by_clock));
    for (const plan::StreamDef* source : q.Sources())
      p->inputs_.emplace_back(source, pattern->port(source));
    p->Add("pattern", pattern.get());
    p->timed_ = pattern.get();
    p->front_ = std::move(pattern);
  } else {
    p->inputs_ = {{q.input, rest}};
    p->timed_ = rest_timed;
  }
  for (size_t i = 0; i < p->operators_.size(); ++i)
    p->operators_[i].id = q.id + "/" + std::to_string(i) + ":" + p->operators_[i].kind;
  return p;
}

StateSize Pipeline::Size() const {
  StateSize total;
  for (const Operator& op : operators_) {
    if (!op.state) continue;
    StateSize s = op.state->Size();
    total.keys += s.keys;
    total.bytes += s.bytes;
  }
  return total;
}

void Pipeline::Snapshot(StateWriter& w) const {
  w.Section("pipeline", 2);
  w.Str(plan_.StateShape());
  uint32_t stateful = 0;
  for (const Operator& op : operators_) stateful += op.state != nullptr;
  w.U32(stateful);
  for (const Operator& op : operators_) {
    if (!op.state) continue;
    StateWriter part;
    op.state->Snapshot(part);
    w.Str(op.id);
    w.Str(part.data());
  }
}

namespace {

// The first line where two state shapes differ, as "was ...; now ...".
std::string ShapeChange(const std::string& saved, const std::string& now) {
  std::istringstream a(saved), b(now);
  std::string la, lb;
  for (;;) {
    bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "";
    if (!ha) la = "(nothing)";
    if (!hb) lb = "(nothing)";
    if (la != lb) return "its state was kept for '" + la + "', the query now has '" + lb + "'";
  }
}

}  // namespace

Status Pipeline::Fits(std::string_view data) const {
  StateReader r(data);
  uint32_t version = r.Section("pipeline", 2);
  if (version < 2) return r.status();
  std::string saved = r.Str();
  RETURN_IF_ERROR(r.status());
  std::string change = ShapeChange(saved, plan_.StateShape());
  if (!change.empty())
    return Status::InvalidArgument("the query changed so that its state does not fit: " + change);
  return Status::OK();
}

Status Pipeline::Restore(StateReader& r) {
  uint32_t version = r.Section("pipeline", 2);
  if (!version) return r.status();
  if (version >= 2) {
    std::string saved = r.Str();
    std::string now = plan_.StateShape();
    if (r.ok() && saved != now)
      return Status::InvalidArgument("the query changed so that its state does not fit: " +
                                     ShapeChange(saved, now));
  }
  uint32_t stateful = r.U32();
  size_t next = 0;  // operators are written in pipeline order
  for (uint32_t i = 0; i < stateful && r.ok(); ++i) {
    std::string id = r.Str();
    std::string data = r.Str();
    if (!r.ok()) break;
    while (next < operators_.size() && (!operators_[next].state || operators_[next].id != id))
      ++next;
    if (next == operators_.size()) {
      std::string ids;
      for (const Operator& op : operators_) ids += (ids.empty() ? "" : ", ") + op.id;
      return Status::InvalidArgument("the saved state has operator '" + id + "', which query '" +
                                     plan_.name + "' no longer has (its operators: " + ids + ")");
    }
    StateReader part(data);
    operators_[next].state->Restore(part);
    if (part.ok() && !part.at_end()) part.Fail("more state than operator '" + id + "' reads");
    if (!part.ok())
      return Status::InvalidArgument("operator '" + id + "': " + part.status().message());
    ++next;
  }
  return r.status();
}

}  // namespace sluice::exec
