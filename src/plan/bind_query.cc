// A query: its input (a stream, a join or a pattern), filter, window, grouping, aggregates,
// HAVING, ORDER BY, LIMIT, output rate, and its outputs into a stream or a table.
#include "plan/binder_internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/format.h"
#include "common/row_key.h"
#include "plan/plan.h"
#include "plan/stream_graph.h"
#include "plan/type_rules.h"
#include "sql/parser.h"

namespace sluice::plan::binding {

namespace {

// For messages about a table that lives in a store: "Redis", "PostgreSQL"; its first key column.
std::string StoreName(const StreamDef& table) {
  return table.connector->connector == "redis" ? "Redis" : "PostgreSQL";
}
std::string KeyName(const StreamDef& table) {
  return table.primary_key.empty()
             ? std::string("id")
             : table.schema.field(static_cast<size_t>(table.primary_key[0])).name;
}

}  // namespace

template <typename Items>
bool Binder::PlanTableWrite(const sql::OutputClause& out, const StreamDef* table, Items* items,
                            const Scope& query_scope, QueryPlan* qp) {
  using OK = sql::OutputClause::Kind;
  int errors = diags_->error_count();
  for (auto& it : *items) {
    if (!it.expr) return false;
    if (it.needs_name) {
      diags_->Error(it.loc, "the expression '" + it.name + "' needs a name in a table write",
                    "add AS name");
      return false;
    }
  }
  TableWritePlan write;
  write.kind = ToPlan(out.kind);
  write.table = table;
  write.output = std::make_unique<StreamDef>();
  write.output->name = table->name;
  if (out.kind == OK::kInsert || out.kind == OK::kUpsert) {
    // The rows become table rows: mapped onto its columns by name or position, with casts.
    MapOutputs(items, table, out.loc, qp);
    if (diags_->error_count() != errors) return false;
    write.output->schema = table->schema;
  } else {
    for (auto& it : *items) {
      write.output->schema.Add(
          it.name, it.expr->type.id == TypeId::kNull ? DataType::String() : it.expr->type);
      qp->outputs.push_back({it.name, std::move(it.expr)});
    }
    qp->by_name = true;
  }
  if (out.kind == OK::kUpdate && out.sets.empty()) {
    diags_->Error(out.loc, "UPDATE " + table->name + " needs SET",
                  "e.g. SET " + table->name + ".c = c", 6);
    return false;
  }
  if (out.kind == OK::kInsert) {
    if (out.on) diags_->Error(out.on->loc, "INSERT INTO a table takes no ON");
  } else if (!out.on) {
    diags_->Error(out.loc, "this table write needs ON to say which rows it writes",
                  "e.g. ON " + table->name + ".k = k", 6);
    return false;
  }
  // ON and SET read the output row (unqualified names) and the table (T.c).
  const int width = static_cast<int>(write.output->schema.size());
  Scope ws;
  // The output row answers to the query's stream name and alias too (the seed forms
  // `UPDATE T SET c = s.x FROM S AS s WHERE ...` select * and name it by its alias).
  std::string stream = qp->input ? qp->input->name : "";
  std::string alias = query_scope.inputs.size() == 1 ? query_scope.inputs[0].alias : "";
  if (query_scope.inputs.size() == 1) stream = query_scope.inputs[0].stream;
  ws.inputs.push_back({stream, alias, &write.output->schema, 0});
  ws.inputs.push_back({table->name, "", &table->schema, width});
  ws.prefer_first = true;
  if (out.on) {
    write.on = BindCondition(*out.on, ws, "ON");
    if (!write.on) return false;
    // ON T.k = k for every key column: rows are found by key.
    std::map<int, int> equal;  // table column -> output attribute
    int total = width + static_cast<int>(table->schema.size());
    for (auto [column, attribute] : EqualityPairs(*write.on, width, total))
      equal[column - width] = attribute;
    for (int k : table->primary_key) {
      if (!equal.count(k)) {
        write.key_from.clear();
        break;
      }
      write.key_from.push_back(equal[k]);
    }
    if (write.key_from.empty() && table->connector && table->connector->backs_table)
      diags_->Error(out.on->loc,
                    "table '" + table->name + "' lives in " + StoreName(*table) +
                        ": a write finds its row by key, so ON must give its whole primary key",
                    "e.g. ON " + table->name + "." + KeyName(*table) + " = " + KeyName(*table));
  }
  for (const auto& set : out.sets) {
    int col = table->schema.IndexOf(set.column);
    if (col < 0) {
      diags_->Error(set.loc, "table '" + table->name + "' has no column '" + set.column + "'",
                    "its columns: " + table->schema.ToString());
      continue;
    }
    bool key = std::find(table->primary_key.begin(), table->primary_key.end(), col) !=
               table->primary_key.end();
    if (key && table->connector && table->connector->backs_table)
      diags_->Error(set.loc,
                    "table '" + table->name + "' lives in " + StoreName(*table) +
                        ": an UPDATE cannot move a row to another key ('" + set.column +
                        "' is its key)",
                    "DELETE the row and INSERT the new one");
    BoundExprPtr value = BindExpr(*set.value, ws);
    if (!value) continue;
    DataType to = table->schema.field(static_cast<size_t>(col)).type;
    if (!CanAssign(value->type, to)) {
      diags_->Error(set.value->loc, "cannot assign " + value->type.ToString() + " to " +
                                        table->name + "." + set.column + " " + to.ToString());
      continue;
    }
    write.sets.push_back({col, MakeCast(std::move(value), to)});
  }
  if (diags_->error_count() != errors) return false;
  qp->table_write = std::move(write);
  qp->target = qp->table_write->output.get();
  return true;
}

template <typename Items>
void Binder::MapOutputs(Items* items, const StreamDef* target, Loc loc, QueryPlan* qp) {
  const Schema& schema = target->schema;
  for (auto& it : *items)
    if (!it.expr) return;  // errors already reported
  std::set<std::string> names;
  for (auto& it : *items) names.insert(it.name);
  bool by_name = names.size() == schema.size() && items->size() == schema.size();
  for (auto& f : schema.fields()) by_name = by_name && names.count(f.name);
  qp->by_name = by_name;
  if (!by_name && items->size() != schema.size()) {
    diags_->Error(loc,
                  "INSERT INTO " + target->name + ": the query gives " +
                      std::to_string(items->size()) + " values but '" + target->name + "' has " +
                      std::to_string(schema.size()) + " attributes " + schema.ToString(),
                  "", 6);
    return;
  }
  for (size_t i = 0; i < schema.size(); ++i) {
    const Field& f = schema.field(i);
    size_t src = i;
    if (by_name)
      for (size_t k = 0; k < items->size(); ++k)
        if ((*items)[k].name == f.name) src = k;
    auto& it = (*items)[src];
    if (!CanAssign(it.expr->type, f.type)) {
      diags_->Error(it.loc,
                    "cannot insert " + it.expr->type.ToString() + " '" + it.name + "' into " +
                        target->name + "." + f.name + " " + f.type.ToString() +
                        (by_name ? "" : " (values go by position)"),
                    "CAST it, or reorder the select list to match " + schema.ToString());
      continue;
    }
    qp->outputs.push_back({f.name, MakeCast(std::move(it.expr), f.type)});
  }
}

void Binder::ExtractAggregates(BoundExprPtr& e, int base, std::vector<AggregatePlan>* aggs) {
  if (e->kind == BoundExpr::Kind::kAggregate) {
    std::string key = e->text + (e->distinct ? "#d" : "");
    size_t idx = aggs->size();
    for (size_t i = 0; i < aggs->size(); ++i)
      if ((*aggs)[i].text + ((*aggs)[i].distinct ? "#d" : "") == key) idx = i;
    if (idx == aggs->size()) {
      AggregatePlan a;
      a.fn = e->fn;
      a.distinct = e->distinct;
      a.type = e->type;
      a.text = e->text;
      if (!e->args.empty()) a.arg = std::move(e->args[0]);
      aggs->push_back(std::move(a));
    }
    auto col = std::make_unique<BoundExpr>();
    col->kind = BoundExpr::Kind::kColumn;
    col->column = base + static_cast<int>(idx);
    col->type = e->type;
    col->loc = e->loc;
    col->text = e->text;
    e = std::move(col);
    return;
  }
  for (auto& a : e->args) ExtractAggregates(a, base, aggs);
}

bool Binder::BindQuery(const sql::Query& q, const sql::CreateStmt* create,
                       const std::vector<sql::Annotation>& create_annotations, QueryPlan* qp) {
  bool supported = true;
  Scope scope;
  counted_aliases_.clear();  // pattern aliases are per query
  std::vector<const StreamDef*> inputs;
  BoundExprPtr filter;
  switch (q.from.kind) {
    case sql::FromClause::Kind::kStream: {
      const StreamDef* def = ResolveStream(q.from.stream, false);
      if (def) {
        scope.inputs.push_back({def->name, q.from.stream.alias, &def->schema, 0});
        if (def->is_fault_stream) scope.inputs.back().stream = q.from.stream.name;
        inputs.push_back(def);
        qp->input = def;
        if (q.from.stream.filter) filter = BindCondition(*q.from.stream.filter, scope, "filter");
      }
      if (!def) return false;  // reported; binding the rest would only cascade
      if (q.from.stream.window) {
        qp->window = BuildWindow(*q.from.stream.window, def);
        if (!qp->window) supported = false;
        // 'update' corrects the rows of windows that closed: tumbling and hopping ones. Sliding
        // time windows and delay have no closed window to correct; the other windows never
        // see a late event.
        using WK = WindowPlan::Kind;
        if (def->event_time.late_data == LateData::kUpdate && qp->window &&
            (qp->window->kind == WK::kTime || qp->window->kind == WK::kTimeLength ||
             qp->window->kind == WK::kDelay)) {
          NotSupported(q.from.stream.window->loc,
                       "'late.data'='update' on " + qp->window->sql +
                           " (it re-emits corrected rows of windows that close: timeBatch, "
                           "TUMBLING, SLIDING)",
                       6);
          supported = false;
        }
      }
      if (q.from.stream.unidirectional)
        diags_->Error(q.from.stream.loc, "UNIDIRECTIONAL applies to a join side");
      break;
    }
    case sql::FromClause::Kind::kJoin: {
      const sql::JoinSpec& j = *q.from.join;
      const StreamDef* l = ResolveStream(j.left, true);
      const StreamDef* r = ResolveStream(j.right, true);
      if (!l || !r) return false;
      JoinPlan join;
      join.type = ToPlan(j.type);
      auto joined = std::make_unique<StreamDef>();
      joined->name = l->name + " JOIN " + r->name;
      int offset = 0;
      for (auto [def, ref] : {std::pair{l, &j.left}, std::pair{r, &j.right}}) {
        scope.inputs.push_back({def->name, ref->alias, &def->schema, offset});
        if (def->is_fault_stream) scope.inputs.back().stream = ref->name;
        offset += static_cast<int>(def->schema.size());
        for (const Field& f : def->schema.fields())
          joined->schema.Add((ref->alias.empty() ? ref->name : ref->alias) + "." + f.name, f.type);
      }
      if (scope.inputs[0].alias.empty() && scope.inputs[1].alias.empty() &&
          scope.inputs[0].stream == scope.inputs[1].stream)
        diags_->Error(j.right.loc, "a self-join needs an alias on each side (AS a ... AS b)");
      bool left_keeps = j.left.window.has_value() || l->is_table;
      bool right_keeps = j.right.window.has_value() || r->is_table;
      if (!left_keeps && !right_keeps)
        diags_->Warning(j.loc,
                        "query '" + qp->name +
                            "': neither side of this join keeps "
                            "events (no window, no table), so it can never match",
                        "add WINDOW(...) to one side", 4);
      for (int i = 0; i < 2; ++i) {
        const sql::StreamRef& ref = i == 0 ? j.left : j.right;
        const StreamDef* def = i == 0 ? l : r;
        JoinSidePlan& side = i == 0 ? join.left : join.right;
        side.stream = def;
        if (def->is_table) {
          // A table is looked up: it holds its rows itself and its writes trigger nothing.
          side.triggers = false;
          if (ref.window)
            diags_->Error(ref.window->loc,
                          "a table keeps its rows itself: no WINDOW on '" + ref.name + "'");
          if (ref.filter) {
            NotSupported(ref.loc, "a filter on a joined table (put it in ON)",
                         static_cast<int>(ref.name.size()));
            supported = false;
          }
          if (ref.unidirectional)
            diags_->Error(ref.loc, "UNIDIRECTIONAL belongs to the stream side of a join");
        }
        if (ref.filter) {
          Scope own;
          own.inputs.push_back(scope.inputs[i]);
          own.inputs.back().offset = 0;
          side.filter = BindCondition(*ref.filter, own, "filter");
        }
        if (ref.window) {
          side.window = BuildWindow(*ref.window, def);
          if (!side.window) supported = false;
        }
      }
      // UNIDIRECTIONAL: only that side's arrivals probe. Outer sides emit unmatched arrivals.
      if (l->is_table && r->is_table)
        diags_->Error(j.loc, "a join needs a stream on one side: both sides are tables", "", 4);
      if (j.left.unidirectional && j.right.unidirectional)
        diags_->Error(j.right.loc, "only one side of a join can be UNIDIRECTIONAL");
      else if (j.left.unidirectional)
        join.right.triggers = false;
      else if (j.right.unidirectional)
        join.left.triggers = false;
      join.left.outer = j.type == sql::JoinType::kLeftOuter || j.type == sql::JoinType::kFullOuter;
      join.right.outer =
          j.type == sql::JoinType::kRightOuter || j.type == sql::JoinType::kFullOuter;
      if (j.on) join.on = BindCondition(*j.on, scope, "ON");
      for (const StreamDef* t : {l, r}) {
        if (!t->connector || !t->connector->backs_table || (j.on && !join.on)) continue;
        // A table in a store is looked up by key, one round trip per batch: ON must give it.
        int lo = t == l ? 0 : static_cast<int>(l->schema.size());
        int hi = lo + static_cast<int>(t->schema.size());
        std::set<int> given;
        if (join.on)
          for (auto [column, other] : EqualityPairs(*join.on, lo, hi)) given.insert(column - lo);
        bool whole = true;
        for (int k : t->primary_key) whole = whole && given.count(k) > 0;
        if (!whole)
          diags_->Error(j.on ? j.on->loc : j.loc,
                        "table '" + t->name + "' lives in " + StoreName(*t) +
                            ": a join looks its rows up by key, so ON must equate its whole "
                            "primary key to the stream's attributes",
                        "e.g. ON " + (t == l ? j.left : j.right).name + "." + KeyName(*t) +
                            " = <the stream's attribute> (of the key's type: CAST it if not)");
        // Its rows are looked up as the events arrive: a window that lets events join later
        // would find them gone.
        const sql::StreamRef& stream_side = t == l ? j.right : j.left;
        if (stream_side.window)
          diags_->Error(stream_side.window->loc,
                        "table '" + t->name + "' lives in " + StoreName(*t) +
                            ": the stream that joins it takes no WINDOW (its events look rows "
                            "up as they arrive)");
      }
      // The rest of the query reads joined rows: one scope over both sides at their offsets.
      joined->loc = j.loc;
      join.joined = std::move(joined);
      bool joined_once = false;
      for (const sql::Annotation& a : q.annotations) {
        if (!IsAnnotation(a, "join")) continue;
        if (joined_once) {
          diags_->Error(a.loc, "a query takes one @join: put its options together", "", 5);
          continue;
        }
        joined_once = true;
        if (!l->is_table && !r->is_table) {
          diags_->Error(a.loc,
                        "@join(missing) is for a join with a table: it says what a lookup "
                        "that finds no row does",
                        "", 5);
          continue;
        }
        ApplyJoinAnnotation(a, l->is_table ? *l : *r, diags_, &join.missing);
      }
      qp->input = join.joined.get();
      qp->join = std::move(join);
      if (q.output && q.output->events != sql::OutputEvents::kCurrent) {
        NotSupported(q.output->loc, "EXPIRED or ALL EVENTS from a join", 6);
        supported = false;
      }
      break;
    }
    case sql::FromClause::Kind::kPattern: {
      const sql::PatternSpec& spec = *q.from.pattern;
      int before = diags_->error_count();
      BindPatternScope(*spec.root, &scope);
      if (diags_->error_count() != before) return false;
      std::map<const sql::PatternNode*, BoundExprPtr> filters;
      BindPatternFilters(*spec.root, scope, &filters);
      if (spec.within) CheckDuration(*spec.within, "WITHIN");
      if (diags_->error_count() != before) return false;
      std::optional<PatternPlan> pattern = PlanPattern(spec, scope, &filters);
      if (!pattern) {
        supported = false;
        break;
      }
      auto matched = std::make_unique<StreamDef>();
      matched->name = "PATTERN";
      matched->loc = spec.loc;
      for (const ScopeInput& in : scope.inputs)
        for (const Field& f : in.schema->fields())
          matched->schema.Add((in.alias.empty() ? in.stream : in.alias) + "." + f.name, f.type);
      pattern->matched = std::move(matched);
      qp->input = pattern->matched.get();
      qp->pattern = std::move(pattern);
      if (q.output && q.output->events != sql::OutputEvents::kCurrent) {
        NotSupported(q.output->loc, "EXPIRED or ALL EVENTS from a pattern", 6);
        supported = false;
      }
      break;
    }
  }
  for (const auto& p : q.from.partition_by) {
    if (!qp->pattern) {
      BindExpr(*p, scope);
      NotSupported(p->loc, "PARTITION BY outside a pattern (use GROUP BY)");
      supported = false;
      continue;
    }
    // An attribute that every stream of the pattern has: each key value runs its own pattern.
    if (p->kind != Expr::Kind::kColumn || !p->qualifier.empty() || p->index) {
      diags_->Error(p->loc, "PARTITION BY of a pattern takes attribute names, got " + p->ToSql(),
                    "name an attribute that every stream of the pattern has", p->length);
      continue;
    }
    std::optional<DataType> type;
    for (PatternStepPlan& step : qp->pattern->steps) {
      int col = step.stream->schema.IndexOf(p->name);
      if (col < 0) {
        diags_->Error(p->loc,
                      "PARTITION BY " + p->name + ": stream '" + step.stream->name +
                          "' has no attribute '" + p->name + "'",
                      "", p->length);
        break;
      }
      DataType t = step.stream->schema.field(static_cast<size_t>(col)).type;
      if (type && !(*type == t)) {
        diags_->Error(p->loc,
                      "PARTITION BY " + p->name + " is " + type->ToString() +
                          " in one stream and " + t.ToString() + " in '" + step.stream->name + "'",
                      "", p->length);
        break;
      }
      type = t;
      step.partition_columns.push_back(col);
    }
  }
  if (q.where) {
    BoundExprPtr w = BindCondition(*q.where, scope, "WHERE");
    if (w && filter) {
      auto both = std::make_unique<BoundExpr>();
      both->kind = BoundExpr::Kind::kAnd;
      both->type = DataType::Bool();
      both->loc = w->loc;
      both->text = filter->text + " AND " + w->text;
      both->args.push_back(std::move(filter));
      both->args.push_back(std::move(w));
      filter = std::move(both);
    } else if (w) {
      filter = std::move(w);
    }
  }
  qp->filter = std::move(filter);
  // A pattern applies each WHERE conjunct at the element where all its aliases are bound.
  if (qp->pattern && qp->filter) PushDownToSteps(std::move(qp->filter), &*qp->pattern);

  // The select list.
  struct Item {
    std::string name;
    Loc loc;
    BoundExprPtr expr;
    bool needs_name = false;
  };
  std::vector<Item> items;
  qp->emit = ToPlan(q.emit);
  Scope select_scope = scope;
  select_scope.allow_aggregates = true;
  select_scope.clause = "SELECT";
  select_scope.query = qp;
  select_scope.query_aggregates = !q.group_by.empty();
  for (const sql::SelectItem& si : q.select)
    select_scope.query_aggregates |= AstHasAggregate(*si.expr);
  for (const sql::SelectItem& si : q.select) {
    if (si.expr->kind == Expr::Kind::kStar) {
      bool matched = false;
      for (const ScopeInput& in : scope.inputs) {
        if (!si.expr->qualifier.empty() && si.expr->qualifier != in.alias &&
            si.expr->qualifier != in.stream)
          continue;
        matched = true;
        for (size_t i = 0; i < in.schema->size(); ++i) {
          auto col = std::make_unique<BoundExpr>();
          col->kind = BoundExpr::Kind::kColumn;
          col->column = in.offset + static_cast<int>(i);
          col->type = in.schema->field(i).type;
          col->loc = si.loc;
          col->text = in.schema->field(i).name;
          items.push_back({in.schema->field(i).name, si.loc, std::move(col)});
        }
      }
      if (!matched && !scope.inputs.empty())
        diags_->Error(si.loc, "'" + si.expr->qualifier + ".*' names no stream of this query");
      continue;
    }
    Item item;
    item.loc = si.loc;
    item.expr = BindExpr(*si.expr, select_scope);
    if (!si.alias.empty()) {
      item.name = si.alias;
    } else if (si.expr->kind == Expr::Kind::kColumn) {
      item.name = si.expr->name;
    } else {
      item.needs_name = true;
      item.name = si.expr->ToSql();
    }
    items.push_back(std::move(item));
  }
  const int base = qp->input ? static_cast<int>(qp->input->schema.size()) : 0;
  for (const auto& g : q.group_by) {
    BoundExprPtr b = BindExpr(*g, scope);
    if (b) qp->group_by.push_back(std::move(b));
  }
  if (qp->window && qp->window->kind == WindowPlan::Kind::kSession &&
      q.from.stream.window->keyword_form && qp->window->key_column < 0 && !qp->group_by.empty())
    qp->window->session_per_group = true;
  std::vector<std::pair<std::string, const BoundExpr*>> aliases;
  for (const Item& it : items)
    if (it.expr) aliases.push_back({it.name, it.expr.get()});
  if (q.having) {
    Scope hs = scope;
    hs.select_aliases = &aliases;
    hs.allow_aggregates = true;
    hs.clause = "HAVING";
    hs.query = qp;
    hs.query_aggregates = select_scope.query_aggregates;
    qp->having = BindCondition(*q.having, hs, "HAVING");
  }
  for (const auto& o : q.order_by) {
    Scope os = scope;
    os.select_aliases = &aliases;
    os.allow_aggregates = true;
    os.query = qp;
    os.query_aggregates = select_scope.query_aggregates;
    BoundExprPtr b = BindExpr(*o.expr, os);
    if (b) qp->order_by.push_back({std::move(b), o.descending});
  }
  // Aggregates become columns after the input's attributes (see QueryPlan).
  for (Item& it : items)
    if (it.expr) ExtractAggregates(it.expr, base, &qp->aggregates);
  if (qp->having) ExtractAggregates(qp->having, base, &qp->aggregates);
  for (OrderPlan& o : qp->order_by) ExtractAggregates(o.expr, base, &qp->aggregates);
  if (q.limit) {
    CheckCount(*q.limit, "LIMIT");
    qp->limit = q.limit->literal.int_value();
  }
  if (q.offset) {
    if (q.offset->kind != Expr::Kind::kLiteral || q.offset->is_duration ||
        !(q.offset->literal.type() == TypeId::kInt ||
          q.offset->literal.type() == TypeId::kBigint) ||
        q.offset->literal.int_value() < 0)
      diags_->Error(q.offset->loc, "OFFSET needs a non-negative integer, got " + q.offset->ToSql());
    else
      qp->offset = q.offset->literal.int_value();
  }
  qp->distinct = q.distinct;
  qp->emit = ToPlan(q.emit);
  if (qp->input && qp->input->event_time.late_data == LateData::kUpdate && qp->window &&
      (qp->window->kind == WindowPlan::Kind::kTimeBatch ||
       qp->window->kind == WindowPlan::Kind::kSliding) &&
      !qp->EmitsOnClose()) {
    NotSupported(q.emit_loc.line ? q.emit_loc : q.loc,
                 "'late.data'='update' with EMIT CHANGES (corrections are rows of closed windows)",
                 4);
    supported = false;
  }
  if (q.emit == sql::EmitMode::kFinal && q.from.kind == sql::FromClause::Kind::kStream) {
    bool closes =
        qp->window && (qp->window->IsBatch() || qp->window->kind == WindowPlan::Kind::kSession);
    if (!closes)
      diags_->Error(q.emit_loc,
                    "EMIT FINAL needs a window that closes (lengthBatch, timeBatch, "
                    "externalTimeBatch, TUMBLING, SLIDING or SESSION)",
                    qp->window ? "" : "add e.g. WINDOW TUMBLING(1 MINUTE)", 4);
  }
  if (q.rate) {
    RatePlan r;
    r.kind = ToPlan(q.rate->kind);
    r.by_events = q.rate->by_events;
    r.events = q.rate->events;
    if (q.rate->duration) {
      CheckDuration(*q.rate->duration, "OUTPUT EVERY");
      r.period_ms = q.rate->duration->literal.int_value();
    }
    if (r.kind == RateKind::kSnapshot && r.by_events)
      diags_->Error(q.rate->loc, "OUTPUT SNAPSHOT needs a time period, e.g. EVERY 5 SECONDS", "",
                    6);
    qp->rate = r;
  }

  // The output.
  if (create) {
    if (q.output) {
      diags_->Error(
          q.output->loc,
          "CREATE ... AS SELECT defines its own output; remove " +
              std::string(q.output->kind == sql::OutputClause::Kind::kInsert ? "INSERT INTO"
                                                                             : "the table write"));
      return false;
    }
    if (!CheckNameFree(create->name, create->name_loc)) return false;
    auto def = std::make_unique<StreamDef>();
    def->name = create->name;
    def->is_table = create->is_table;
    def->loc = create->name_loc;
    std::set<std::string> seen;
    for (Item& it : items) {
      if (!it.expr) continue;
      if (it.needs_name) {
        diags_->Error(it.loc, "the expression '" + it.name + "' needs a name in CREATE ... AS",
                      "add AS name");
        continue;
      }
      if (!seen.insert(it.name).second)
        diags_->Error(it.loc, "the output attribute '" + it.name + "' appears twice",
                      "give one of them another name with AS");
      def->schema.Add(it.name,
                      it.expr->type.id == TypeId::kNull ? DataType::String() : it.expr->type);
    }
    if (create->is_table) {
      // CTAS: one row per group, kept up to date; the GROUP BY attributes are the key.
      for (const BoundExprPtr& g : qp->group_by) {
        int found = -1;
        for (size_t i = 0; i < items.size(); ++i)
          if (items[i].expr && items[i].expr->kind == BoundExpr::Kind::kColumn &&
              g->kind == BoundExpr::Kind::kColumn && items[i].expr->column == g->column)
            found = static_cast<int>(i);
        if (found < 0) {
          def->primary_key.clear();
          break;
        }
        def->primary_key.push_back(found);
      }
    }
    StreamDef* target = FinishDefinition(std::move(def), create_annotations, create->with);
    if (create->is_table) {
      TableWritePlan write;
      write.table = target;
      write.kind = target->primary_key.empty() ? TableWriteKind::kInsert : TableWriteKind::kUpsert;
      write.key_from = target->primary_key;
      write.output = std::make_unique<StreamDef>();
      write.output->name = target->name;
      write.output->schema = target->schema;
      qp->table_write = std::move(write);
      target = qp->table_write->output.get();
    }
    qp->target = target;
    qp->by_name = true;
    for (Item& it : items)
      if (it.expr)
        qp->outputs.push_back(
            {it.name, MakeCast(std::move(it.expr), target->schema.field(qp->outputs.size()).type)});
    return supported;
  }

  if (!q.output) {
    diags_->Error(q.loc, "this query has no output", "add INSERT INTO <stream>", 6);
    return false;
  }
  const sql::OutputClause& out = *q.output;
  qp->events = ToPlan(out.events);
  const StreamDef* table = plan_->catalog.Find(out.target);
  if (out.kind != sql::OutputClause::Kind::kInsert || (table && table->is_table)) {
    if (!table) {
      diags_->Error(out.loc, "unknown table '" + out.target + "'", StreamSuggestion(out.target));
      return false;
    }
    if (!table->is_table) {
      diags_->Error(out.loc, "'" + out.target + "' is a stream; UPDATE and DELETE write tables");
      return false;
    }
    if (qp->join || qp->pattern) {
      NotSupported(out.loc, "a table write from a join or a pattern", 6);
      return false;
    }
    return PlanTableWrite(out, table, &items, scope, qp) && supported;
  }
  StreamDef* target = plan_->catalog.Find(out.target);
  if (target && target->is_fault_stream) {
    diags_->Error(out.loc, "'" + out.target + "' is a fault stream; only the engine writes it");
    return false;
  }
  if (!target) {
    // Auto-definition of an undefined INSERT INTO target: the select list's names and types.
    auto def = std::make_unique<StreamDef>();
    def->name = out.target;
    def->auto_defined = true;
    def->loc = out.target_loc.line > 0 ? out.target_loc : out.loc;
    std::set<std::string> seen;
    bool ok = true;
    for (Item& it : items) {
      if (!it.expr) {
        ok = false;
        continue;
      }
      if (it.needs_name) {
        diags_->Error(it.loc,
                      "the expression '" + it.name + "' needs a name, since '" + out.target +
                          "' is defined by this query",
                      "add AS name");
        ok = false;
        continue;
      }
      if (!seen.insert(it.name).second) {
        diags_->Error(it.loc, "the output attribute '" + it.name + "' appears twice",
                      "give one of them another name with AS");
        ok = false;
      }
      def->schema.Add(it.name,
                      it.expr->type.id == TypeId::kNull ? DataType::String() : it.expr->type);
    }
    def->async.enabled = plan_->settings.async;
    if (!ok && def->schema.size() == 0) return false;
    target = plan_->catalog.Add(std::move(def));
  }
  qp->target = target;
  MapOutputs(&items, target, out.loc, qp);
  return supported;
}

}  // namespace sluice::plan::binding
