// Binding: names to columns, types to expressions, options to settings, queries to plans. The
// driver (statements, streams, stable ids, cycles) is here; each construct binds in its own
// file (plan/binder_internal.h).
#include "plan/binder_internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/format.h"
#include "plan/plan.h"

#include "common/row_key.h"
#include "plan/stream_graph.h"
#include "plan/type_rules.h"
#include "sql/parser.h"

namespace sluice::plan {

using sql::BinaryOp;
using sql::Diagnostics;
using sql::Expr;
using sql::Loc;

BoundExprPtr BoundExpr::Clone() const {
  auto c = std::make_unique<BoundExpr>();
  c->kind = kind;
  c->type = type;
  c->loc = loc;
  c->literal = literal;
  c->column = column;
  c->op = op;
  c->fn = fn;
  c->negated = negated;
  c->has_else = has_else;
  c->distinct = distinct;
  c->try_cast = try_cast;
  c->text = text;
  for (const auto& a : args) c->args.push_back(a->Clone());
  return c;
}

bool BoundExpr::IsConstant() const {
  if (kind == Kind::kColumn || kind == Kind::kAggregate) return false;
  if (kind == Kind::kFunction && IsVolatile(fn)) return false;
  for (const auto& a : args)
    if (!a->IsConstant()) return false;
  return true;
}

namespace binding {

BoundExprPtr MakeCast(BoundExprPtr e, DataType to) {
  if (e->type == to) return e;
  auto c = std::make_unique<BoundExpr>();
  c->kind = BoundExpr::Kind::kCast;
  c->type = to;
  c->loc = e->loc;
  c->text = e->text;
  c->args.push_back(std::move(e));
  return c;
}

BoundExprPtr MakeLiteral(Value v, DataType t, Loc loc) {
  auto e = std::make_unique<BoundExpr>();
  e->kind = BoundExpr::Kind::kLiteral;
  e->literal = std::move(v);
  e->type = t;
  e->loc = loc;
  e->text = e->literal.ToString();
  return e;
}

// An expression in a message: quoted unless it is a string literal (which has its own quotes).
std::string Show(const Expr& e) {
  std::string sql = e.ToSql();
  if (e.kind == Expr::Kind::kLiteral && e.literal.type() == TypeId::kString) return sql;
  return "'" + sql + "'";
}

// A fractional literal next to a DECIMAL is exact, as in SQL: `price - 0.01` stays DECIMAL.
void MakeLiteralExact(BoundExprPtr& lit, const BoundExpr& other) {
  if (other.type.id != TypeId::kDecimal || lit->kind != BoundExpr::Kind::kLiteral ||
      lit->type.id != TypeId::kDouble || lit->literal.is_null())
    return;
  std::string text;
  AppendDouble(&text, lit->literal.double_value(), false);
  if (text.find_first_of("eE") != std::string::npos) return;
  size_t dot = text.find('.');
  int scale = dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
  if (text.size() > dot + 1 && text.substr(dot + 1) == "0") scale = 0;
  int64_t unscaled;
  if (scale > 18 || !ParseDecimal(text, scale, &unscaled)) return;
  lit->literal = Value::Decimal(unscaled, scale);
  lit->type = DataType::Decimal(18, scale);
}

std::unique_ptr<AppPlan> Binder::Run(const sql::AppAst& ast) {
  plan_ = std::make_unique<AppPlan>();
  plan_->settings = ApplyAppAnnotations(ast.app_annotations, diags_);
  ApplySettings(ast.settings, &plan_->settings, diags_);
  // Definitions first, so that queries may read streams defined after them.
  for (const sql::Statement& st : ast.statements) {
    if (st.kind != sql::Statement::Kind::kCreate || st.create->as_query) continue;
    DefineStream(*st.create, st.annotations);
    if (!st.metric_comments.empty())
      diags_->Error(st.metric_comments[0].loc,
                    "@metric counts the rows a query inserts: put it right above a query (INSERT "
                    "INTO, or CREATE STREAM/TABLE ... AS SELECT), not a definition",
                    "", 7);
  }

  // Queries whose own @onError sends failures to a fault stream: define it before any query
  // reads it.
  for (const sql::Statement& st : ast.statements) {
    if (st.kind != sql::Statement::Kind::kQuery) continue;
    const sql::Query& q = *st.query;
    if (q.from.kind != sql::FromClause::Kind::kStream || q.from.stream.fault) continue;
    for (const sql::Annotation& a : q.annotations) {
      std::string n = a.name;
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n == "onerror" && !a.options.empty() && (a.options[0].value == "stream"))
        AddFaultStream(plan_->catalog.Find(q.from.stream.name));
    }
  }

  struct Pending {
    const sql::Statement* statement;
    int number;
  };
  std::vector<Pending> pending;
  int number = 0;
  for (const sql::Statement& st : ast.statements) {
    if (st.kind == sql::Statement::Kind::kQuery || st.create->as_query)
      pending.push_back({&st, ++number});
  }
  // A query may read a stream that a later query defines by inserting into it: bind in
  // dependency order, then bind whatever is left so that its errors are reported.
  bool progress = true;
  while (!pending.empty() && progress) {
    progress = false;
    for (size_t i = 0; i < pending.size();) {
      if (InputsDefined(*pending[i].statement)) {
        BindStatement(*pending[i].statement, pending[i].number);
        pending.erase(pending.begin() + static_cast<long>(i));
        progress = true;
      } else {
        ++i;
      }
    }
  }
  for (const Pending& p : pending) BindStatement(*p.statement, p.number);
  CheckCycles();
  PropagateEventTime();
  return std::move(plan_);
}

bool Binder::CheckNameFree(const std::string& name, Loc loc) {
  if (const StreamDef* existing = plan_->catalog.Find(name)) {
    diags_->Error(loc, std::string(existing->is_table ? "table" : "stream") + " '" + name +
                           "' is already defined at line " + std::to_string(existing->loc.line));
    return false;
  }
  return true;
}

StreamDef* Binder::DefineStream(const sql::CreateStmt& c,
                                const std::vector<sql::Annotation>& annotations) {
  if (!CheckNameFree(c.name, c.name_loc)) return nullptr;
  auto def = std::make_unique<StreamDef>();
  def->name = c.name;
  def->is_table = c.is_table;
  def->loc = c.name_loc;
  std::set<std::string> seen;
  for (const sql::ColumnDef& col : c.columns) {
    if (!seen.insert(col.name).second) {
      diags_->Error(col.loc, "attribute '" + col.name + "' is defined twice");
      continue;
    }
    if (col.primary_key) {
      if (!c.is_table)
        diags_->Error(col.loc, "PRIMARY KEY is for tables; '" + c.name + "' is a stream");
      def->primary_key.push_back(static_cast<int>(def->schema.size()));
    }
    def->schema.Add(col.name, col.type);
  }
  return FinishDefinition(std::move(def), annotations, c.with);
}

StreamDef* Binder::FinishDefinition(std::unique_ptr<StreamDef> def,
                                    const std::vector<sql::Annotation>& annotations,
                                    const std::vector<sql::Property>& with) {
  ApplyStreamAnnotations(annotations, plan_->settings, def.get(), diags_);
  ApplyWithProperties(with, def.get(), diags_);
  if (def->is_table && def->async.enabled && !annotations.empty())
    diags_->Error(def->loc, "@Async applies to streams; '" + def->name + "' is a table");
  if (def->is_table) def->async.enabled = false;
  StreamDef* p = plan_->catalog.Add(std::move(def));
  if (p->on_error == ErrorAction::kStream) AddFaultStream(p);
  return p;
}

void Binder::AddFaultStream(StreamDef* p) {
  if (!p || !p->fault_stream.empty()) return;
  auto fault = std::make_unique<StreamDef>();
  fault->name = "!" + p->name;
  fault->is_fault_stream = true;
  fault->loc = p->loc;
  fault->schema = p->schema;
  fault->schema.Add("_error", DataType::String());
  p->fault_stream = fault->name;
  plan_->catalog.Add(std::move(fault));
}

void Binder::CollectPatternStreams(const sql::PatternNode& n, std::vector<std::string>* out) {
  if (!n.stream.empty()) out->push_back(n.stream);
  for (const auto& c : n.children) CollectPatternStreams(*c, out);
}

std::vector<std::string> Binder::InputNames(const sql::Query& q) {
  std::vector<std::string> names;
  switch (q.from.kind) {
    case sql::FromClause::Kind::kStream:
      names.push_back(q.from.stream.name);
      break;
    case sql::FromClause::Kind::kJoin:
      names.push_back(q.from.join->left.name);
      names.push_back(q.from.join->right.name);
      break;
    case sql::FromClause::Kind::kPattern:
      CollectPatternStreams(*q.from.pattern->root, &names);
  }
  return names;
}

bool Binder::InputsDefined(const sql::Statement& st) {
  const sql::Query& q = st.query ? *st.query : *st.create->as_query;
  for (const std::string& n : InputNames(q))
    if (!plan_->catalog.Find(n)) return false;
  return true;
}

void Binder::BindStatement(const sql::Statement& st, int number) {
  int errors_before = diags_->error_count();
  const sql::Query& q = st.query ? *st.query : *st.create->as_query;
  QueryPlan qp;
  qp.loc = st.loc;
  ErrorAction query_on_error = ErrorAction::kDefault;
  const std::string fallback = "query" + std::to_string(number);
  qp.state = plan_->settings.state;
  qp.name = ApplyQueryAnnotations(q.annotations, fallback, diags_, &query_on_error, &qp.state);
  qp.sql = StatementText(st.loc);
  qp.id = StableId(qp, st, qp.name != fallback);
  bool supported = BindQuery(q, st.create.get(), st.annotations, &qp);
  if (supported && diags_->error_count() == errors_before && !st.metric_comments.empty())
    BindMetrics(st.metric_comments, &qp);
  for (const sql::Annotation& a : q.annotations)
    if (IsAnnotation(a, "join") && !qp.join && supported)
      diags_->Error(a.loc, "@join is for a query that joins a stream with a table", "", 5);
  if (qp.join || qp.pattern) {
    // A joined or matched row has no fault stream of its own (it is no one stream's event):
    // failures that would go to one are logged and counted instead.
    ErrorAction side = ErrorAction::kDefault;
    for (const StreamDef* source : qp.Sources())
      if (side == ErrorAction::kDefault) side = source->on_error;
    qp.on_error = query_on_error != ErrorAction::kDefault ? query_on_error : side;
    if (qp.on_error == ErrorAction::kStream) qp.on_error = ErrorAction::kLog;
  } else if (qp.input) {
    qp.on_error = query_on_error != ErrorAction::kDefault ? query_on_error : qp.input->on_error;
    // A query that sends failures to the fault stream gets one even if its input has none.
    if (qp.on_error == ErrorAction::kStream && qp.input->fault_stream.empty())
      AddFaultStream(plan_->catalog.Find(qp.input->name));
  }
  if (supported && diags_->error_count() == errors_before) plan_->queries.push_back(std::move(qp));
}

std::string Binder::StableId(const QueryPlan& qp, const sql::Statement& st, bool named) {
  std::string id;
  if (named) {
    id = qp.name;
  } else if (st.create) {
    id = st.create->name;
  } else {
    std::string text;
    for (char c : qp.sql) {
      bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
      if (space && (text.empty() || text.back() == ' ')) continue;
      text.push_back(space ? ' ' : c);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == ';')) text.pop_back();
    char hex[24];
    std::snprintf(hex, sizeof hex, "q-%016llx", static_cast<unsigned long long>(KeyHash(text)));
    id = hex;
  }
  int n = ++ids_seen_[id];
  return n == 1 ? id : id + "#" + std::to_string(n);
}

std::string Binder::StatementText(Loc loc) const {
  int line = 1;
  size_t pos = 0;
  while (line < loc.line && pos < source_.size()) {
    if (source_[pos] == '\n') ++line;
    ++pos;
  }
  pos += static_cast<size_t>(loc.col - 1);
  size_t end = pos;
  int depth = 0;
  bool in_string = false;
  while (end < source_.size()) {
    char c = source_[end];
    if (c == '\'') in_string = !in_string;
    if (!in_string) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (c == ';' && depth <= 0) break;
      if (c == '-' && end + 1 < source_.size() && source_[end + 1] == '-') {
        while (end < source_.size() && source_[end] != '\n') ++end;
        continue;
      }
    }
    ++end;
  }
  std::string text(source_.substr(pos, end - pos));
  std::string squashed;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !squashed.empty()) squashed += ' ';
    space = false;
    squashed += c;
  }
  return squashed;
}

void Binder::NotSupported(Loc loc, const std::string& construct, int length) {
  diags_->Error(loc, "not supported yet: " + construct, "", length);
}

const StreamDef* Binder::ResolveStream(const sql::StreamRef& ref, bool allow_table) {
  std::string name = ref.fault ? "!" + ref.name : ref.name;
  const StreamDef* def = plan_->catalog.Find(name);
  if (!def) {
    if (ref.fault && plan_->catalog.Find(ref.name)) {
      diags_->Error(ref.loc, "stream '" + ref.name + "' has no fault stream '!" + ref.name + "'",
                    "add @onError(action='stream') to CREATE STREAM " + ref.name,
                    static_cast<int>(ref.name.size()) + 1);
    } else {
      diags_->Error(ref.loc, "unknown stream '" + name + "'", StreamSuggestion(ref.name),
                    static_cast<int>(name.size()));
    }
    return nullptr;
  }
  if (def->is_table && !allow_table) {
    diags_->Error(ref.loc,
                  "'" + ref.name +
                      "' is a table; a query reads streams (join a table with a "
                      "stream to look rows up)",
                  "", static_cast<int>(ref.name.size()));
    return nullptr;
  }
  return def;
}

std::string Binder::StreamSuggestion(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& d : plan_->catalog.all())
    if (!d->is_fault_stream) names.push_back(d->name);
  return sql::DidYouMean(name, names);
}

void Binder::PropagateEventTime() {
  // To a fixpoint: a chain of derived streams inherits event time from its start.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& def : plan_->catalog.all()) {
      if (def->moves_with_event_time() || def->is_table || def->is_fault_stream ||
          (def->connector && def->connector->is_source))
        continue;
      bool fed = false, all = true;
      int64_t lateness = 0;
      for (const QueryPlan& q : plan_->queries) {
        if (q.target != def.get()) continue;
        fed = true;
        for (const StreamDef* in : q.Sources()) {
          all = all && in->moves_with_event_time();
          lateness = std::max(lateness, in->event_time.allowed_lateness_ms);
        }
      }
      if (!fed || !all) continue;
      def->event_time_derived = true;
      def->event_time.allowed_lateness_ms = lateness;
      changed = true;
    }
  }
}

void Binder::CheckCycles() {
  // Synchronous query chains run depth-first on the sender's thread: a loop would recurse
  // forever. An @Async stream queues what is inserted into it, so a loop through one is allowed
  // (a feedback loop; see docs/language.md).
  StreamGraph graph(*plan_);
  std::map<const StreamDef*, int> state;  // 1 visiting, 2 done
  std::vector<const StreamDef*> path;
  std::function<bool(const StreamDef*)> visit = [&](const StreamDef* s) {
    state[s] = 1;
    path.push_back(s);
    for (const StreamEdge& e : graph.Edges(s)) {
      if (e.to->async.enabled) continue;
      if (state[e.to] == 1) {
        std::string cycle;
        bool on = false;
        for (const StreamDef* p : path) {
          if (p == e.to) on = true;
          if (on) cycle += p->name + " -> ";
        }
        diags_->Error(e.query->loc,
                      "queries form a synchronous loop: " + cycle + e.to->name +
                          "; an event would re-enter the queries that are processing it",
                      "make a stream on the loop @Async (its queue takes what is fed back), or "
                      "break the loop");
        return true;
      }
      if (state[e.to] == 0 && visit(e.to)) return true;
    }
    path.pop_back();
    state[s] = 2;
    return false;
  };
  for (const auto& def : plan_->catalog.all())
    if (state[def.get()] == 0 && visit(def.get())) return;
}

}  // namespace binding

std::unique_ptr<AppPlan> BindApp(const sql::AppAst& ast, std::string_view source,
                                 sql::Diagnostics* diags) {
  return binding::Binder(source, diags).Run(ast);
}

}  // namespace sluice::plan
