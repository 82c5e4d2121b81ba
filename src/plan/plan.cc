#include "plan/plan.h"

#include <set>

namespace sluice::plan {

static const char* BackpressureName(Backpressure b) {
  switch (b) {
    case Backpressure::kBlock:
      return "block";
    case Backpressure::kDrop:
      return "drop";
    case Backpressure::kExponentialBackoff:
      return "exponentialBackoff";
  }
  return "?";
}

static const char* ErrorActionName(ErrorAction a) {
  switch (a) {
    case ErrorAction::kDefault:
      return "default (NULL and count)";
    case ErrorAction::kStream:
      return "stream";
    case ErrorAction::kLog:
      return "log";
    case ErrorAction::kDrop:
      return "drop";
    case ErrorAction::kFail:
      return "fail";
  }
  return "?";
}

std::string AppPlan::Explain() const {
  std::string out = "app " + settings.name + (settings.async ? " (async by default)" : "") + "\n";
  for (const auto& d : catalog.all()) {
    out += d->is_table ? "table " : "stream ";
    out += d->name + " " + d->schema.ToString();
    if (!d->primary_key.empty()) {
      out += " PRIMARY KEY (";
      for (size_t i = 0; i < d->primary_key.size(); ++i)
        out += (i ? ", " : "") + d->schema.field(static_cast<size_t>(d->primary_key[i])).name;
      out += ")";
    }
    if (d->auto_defined) out += " [defined by INSERT INTO]";
    if (d->is_fault_stream) out += " [fault stream]";
    out += "\n";
    if (d->async.enabled) {
      out += "  async: buffer_size=" + std::to_string(d->async.buffer_size) +
             " workers=" + std::to_string(d->async.workers) +
             " batch_size_max=" + std::to_string(d->async.batch_size_max) +
             " backpressure=" + BackpressureName(d->async.backpressure) + "\n";
    }
    if (d->on_error != ErrorAction::kDefault)
      out += std::string("  on error: ") + ErrorActionName(d->on_error) + "\n";
    static const char* kLate[] = {"the fault stream if any, else logged", "drop", "fault",
                                  "update"};
    if (d->event_time.field >= 0 || d->event_time.from_record) {
      out += "  event time: " +
             (d->event_time.from_record ? std::string("the Kafka record's timestamp")
                                        : d->schema.field(d->event_time.field).name) +
             ", allowed lateness " + std::to_string(d->event_time.allowed_lateness_ms) +
             " ms, late data: " + kLate[static_cast<int>(d->event_time.late_data)] + "\n";
    } else if (d->event_time.allowed_lateness_ms > 0 ||
               d->event_time.late_data != LateData::kDefault) {
      out += "  event time: the time each event is sent with, allowed lateness " +
             std::to_string(d->event_time.allowed_lateness_ms) +
             " ms, late data: " + kLate[static_cast<int>(d->event_time.late_data)] + "\n";
    }
    if (d->connector) {
      out += std::string("  ") + (d->connector->is_source ? "source" : "sink") + ": " +
             d->connector->connector + " (" + d->connector->format + ")";
      auto path = d->connector->properties.find("path");
      if (path != d->connector->properties.end()) out += " " + path->second;
      out += "\n";
    }
  }
  for (const QueryPlan& q : queries) out += q.Explain();
  return out;
}

std::string QueryPlan::Explain() const {
  const QueryPlan& q = *this;
  std::string out =
      "query " + q.name + " (line " + std::to_string(q.loc.line) + "): " + q.sql + "\n";
  {
    if (q.join) {
      static const char* kJoinNames[] = {"Join", "Left outer join", "Right outer join",
                                         "Full outer join"};
      out += std::string("  ") + kJoinNames[static_cast<int>(q.join->type)] +
             (q.join->on ? " ON " + q.join->on->text : std::string(" (cross)")) + "\n";
      for (const JoinSidePlan* side : {&q.join->left, &q.join->right}) {
        out += "    Scan " + side->stream->name;
        if (side->filter) out += " Filter " + side->filter->text;
        out += side->window ? " Window " + side->window->sql : std::string(" (keeps nothing)");
        if (!side->triggers) out += " (does not trigger)";
        out += "\n";
      }
    } else if (q.pattern) {
      static const char* kEvery[] = {"once", "EVERY first element", "EVERY whole pattern"};
      out += std::string(q.pattern->sequence ? "  Sequence (" : "  Pattern (") +
             kEvery[static_cast<int>(q.pattern->every)] +
             (q.pattern->within_ms >= 0 ? ", WITHIN " + std::to_string(q.pattern->within_ms) + " ms"
                                        : std::string()) +
             ")\n";
      if (!q.pattern->steps.empty() && !q.pattern->steps[0].partition_columns.empty()) {
        out += "    Partition by";
        for (const PatternStepPlan& step : q.pattern->steps) {
          out += " " + step.stream->name + "(";
          for (size_t i = 0; i < step.partition_columns.size(); ++i)
            out += (i ? ", " : "") +
                   step.stream->schema.field(static_cast<size_t>(step.partition_columns[i])).name;
          out += ")";
        }
        out += "\n";
      }
      for (const PatternStepPlan& step : q.pattern->steps) {
        out += "    " + std::string(step.absent ? "NOT " : "") +
               (step.alias.empty() ? "" : step.alias + "=") + step.stream->name;
        if (step.condition) out += " [" + step.condition->text + "]";
        if (step.absent) out += " FOR " + std::to_string(step.for_ms) + " ms";
        if (step.min_count != 1 || step.max_count != 1)
          out += " {" + std::to_string(step.min_count) + "," +
                 (step.max_count < 0 ? std::string() : std::to_string(step.max_count)) + "}";
        out += "\n";
        if (step.joint != PatternStepPlan::Joint::kNone)
          out += std::string(step.joint == PatternStepPlan::Joint::kAnd ? "    AND" : "    OR") +
                 (step.joint_condition ? " [" + step.joint_condition->text + "]" : "") + "\n";
      }
    } else {
      out += "  Scan " + q.input->name + "\n";
    }
    if (q.filter) out += "  Filter " + q.filter->text + "\n";
    if (q.window) out += "  Window " + q.window->sql + "\n";
    if (!q.aggregates.empty() || !q.group_by.empty()) {
      out += "  Aggregate";
      for (size_t i = 0; i < q.aggregates.size(); ++i)
        out += (i ? ", " : " ") + std::string(q.aggregates[i].distinct ? "DISTINCT " : "") +
               q.aggregates[i].text;
      if (!q.group_by.empty()) {
        out += " GROUP BY ";
        for (size_t i = 0; i < q.group_by.size(); ++i) out += (i ? ", " : "") + q.group_by[i]->text;
      }
      out +=
          q.EmitsOnClose() ? " (one row per group when the window closes)" : " (a row per event)";
      out += "\n";
    }
    if (q.having) out += "  Having " + q.having->text + "\n";
    if (q.state.bounded()) {
      out += "  State";
      if (q.state.ttl_ms > 0) out += " ttl " + std::to_string(q.state.ttl_ms) + " ms";
      if (q.state.max_keys > 0) out += " max keys " + std::to_string(q.state.max_keys);
      out += "\n";
    }
    if (!q.order_by.empty()) {
      out += "  Order by ";
      for (size_t i = 0; i < q.order_by.size(); ++i)
        out +=
            (i ? ", " : "") + q.order_by[i].expr->text + (q.order_by[i].descending ? " DESC" : "");
      out += "\n";
    }
    if (q.limit >= 0 || q.offset > 0)
      out += "  Limit " + (q.limit >= 0 ? std::to_string(q.limit) : std::string("all")) +
             " offset " + std::to_string(q.offset) + "\n";
    out += "  Project ";
    for (size_t i = 0; i < q.outputs.size(); ++i) {
      const OutputColumn& c = q.outputs[i];
      out += (i ? ", " : "") + c.expr->text;
      if (c.expr->text != c.name) out += " AS " + c.name;
    }
    const char* events = q.events == OutputEvents::kCurrent   ? ""
                         : q.events == OutputEvents::kExpired ? " expired events"
                                                              : " all events";
    if (q.rate) {
      static const char* kKinds[] = {"all", "first", "last", "snapshot"};
      out += "\n  Output " + std::string(kKinds[static_cast<int>(q.rate->kind)]) + " every " +
             (q.rate->by_events ? std::to_string(q.rate->events) + " events"
                                : std::to_string(q.rate->period_ms) + " ms");
    }
    if (q.table_write) {
      using K = TableWriteKind;
      const TableWritePlan& w = *q.table_write;
      static const char* kWrites[] = {"Insert into", "Update", "Delete from",
                                      "Update or insert into"};
      out += "\n  " + std::string(kWrites[static_cast<int>(w.kind)]) + " table " + w.table->name;
      if (w.on) out += " ON " + w.on->text;
      if (!w.key_from.empty()) out += " (found by its primary key)";
      (void)K::kInsert;
      out += "\n";
    } else {
      out += "\n  Insert" + std::string(events) + " into " + q.target->name +
             (q.by_name ? " (by name)" : " (by position)") + "\n";
    }
  }
  return out;
}

std::string QueryPlan::StateShape() const {
  std::string out;
  for (const StreamDef* in : Sources())
    out += "reads " + in->name + " " + in->schema.ToString() + "\n";
  if (window) out += window->sql + "\n";
  if (join) {
    out += "join " + std::to_string(static_cast<int>(join->type)) + " ON " +
           (join->on ? join->on->text : std::string("(cross)")) + "\n";
    for (const JoinSidePlan* side : {&join->left, &join->right})
      out += "join side " + side->stream->name + " " +
             (side->window ? side->window->sql : std::string("keeps nothing")) + "\n";
  }
  if (pattern) {
    out += std::string(pattern->sequence ? "sequence" : "pattern") + " every " +
           std::to_string(static_cast<int>(pattern->every)) + " within " +
           std::to_string(pattern->within_ms) + " ms\n";
    for (const PatternStepPlan& step : pattern->steps) {
      out += "step " + std::string(step.absent ? "NOT " : "") + step.alias + "=" +
             step.stream->name + " {" + std::to_string(step.min_count) + "," +
             std::to_string(step.max_count) + "} partition";
      for (int c : step.partition_columns) out += " " + std::to_string(c);
      out += "\n";
    }
  }
  if (!aggregates.empty() || !group_by.empty()) {
    out += "aggregates";
    for (const auto& a : aggregates) out += std::string(a.distinct ? " DISTINCT " : " ") + a.text;
    out += "\ngroup by";
    for (const auto& g : group_by) out += " " + g->text;
    out += "\n";
  }
  if (distinct || rate) {
    out += std::string(distinct ? "distinct" : "rate") + " rows";
    for (const OutputColumn& c : outputs) out += " " + c.name + " " + c.expr->type.ToString();
    out += "\n";
  }
  return out;
}

void WarnUnreadOutputs(const AppPlan& plan, sql::Diagnostics* diags) {
  std::set<const StreamDef*> read;
  for (const QueryPlan& q : plan.queries)
    for (const StreamDef* s : q.Sources()) read.insert(s);
  for (const auto& d : plan.catalog.all()) {
    if (!d->auto_defined || d->is_table || read.count(d.get()) ||
        (d->connector && !d->connector->is_source))
      continue;
    // A likely misspelling is a stream someone reads or a sink, never one
    // of the writing query's own inputs.
    std::set<const StreamDef*> own_inputs;
    for (const QueryPlan& q : plan.queries)
      if (q.target == d.get())
        for (const StreamDef* s : q.Sources()) own_inputs.insert(s);
    std::vector<std::string> candidates;
    for (const auto& c : plan.catalog.all()) {
      if (c.get() == d.get() || c->is_fault_stream || own_inputs.count(c.get())) continue;
      bool is_sink = c->connector && !c->connector->is_source;
      if (read.count(c.get()) || is_sink) candidates.push_back(c->name);
    }
    diags->Warning(
        d->loc,
        "stream '" + d->name + "' is written but never read: no query reads it and it has no sink",
        sql::DidYouMean(d->name, candidates), static_cast<int>(d->name.size()));
  }
}

void WarnUnboundedState(const AppPlan& plan, sql::Diagnostics* diags) {
  for (const QueryPlan& q : plan.queries) {
    if (q.state.bounded()) continue;
    std::string what;
    bool within_helps = false;
    if (q.distinct) {
      what = "SELECT DISTINCT keeps every distinct row it has seen";
    } else if (!q.group_by.empty() && !q.window) {
      what = "GROUP BY without a window keeps every key it has seen";
    } else if (q.pattern && !q.pattern->steps.empty() &&
               !q.pattern->steps[0].partition_columns.empty()) {
      what = "PARTITION BY keeps a pattern for every key it has seen";
    } else if (q.pattern && q.pattern->every == PatternPlan::Every::kFirst &&
               q.pattern->within_ms < 0 && q.pattern->steps.size() > 1) {
      what =
          "EVERY without WITHIN starts a partial match at every event, and each may wait for "
          "ever";
      within_helps = true;
    }
    if (what.empty()) continue;
    diags->Warning(q.loc, "query '" + q.name + "': " + what + ": its state can grow without bound",
                   "bound it with @state(ttl='1 hour') or @state(max_keys='1000000') before the "
                   "query, or SET 'state.ttl' for the whole app" +
                       std::string(within_helps ? " (or add WITHIN)" : ""));
  }
}

std::vector<std::pair<int, int>> EqualityPairs(const BoundExpr& cond, int lo, int hi) {
  std::vector<std::pair<int, int>> pairs;
  std::vector<const BoundExpr*> todo = {&cond};
  auto inside = [&](int c) { return c >= lo && c < hi; };
  while (!todo.empty()) {
    const BoundExpr* e = todo.back();
    todo.pop_back();
    if (e->kind == BoundExpr::Kind::kAnd) {
      for (const auto& a : e->args) todo.push_back(a.get());
      continue;
    }
    if (e->kind != BoundExpr::Kind::kCompare || e->op != sql::BinaryOp::kEq) continue;
    const BoundExpr& a = *e->args[0];
    const BoundExpr& b = *e->args[1];
    if (a.kind != BoundExpr::Kind::kColumn || b.kind != BoundExpr::Kind::kColumn ||
        !(a.type == b.type))
      continue;
    if (inside(a.column) && !inside(b.column)) pairs.push_back({a.column, b.column});
    if (inside(b.column) && !inside(a.column)) pairs.push_back({b.column, a.column});
  }
  return pairs;
}

}  // namespace sluice::plan
