// Binding: names to columns, types to expressions, options to settings, queries to plans.
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
  c->text = text;
  for (const auto& a : args) c->args.push_back(a->Clone());
  return c;
}

bool BoundExpr::IsConstant() const {
  if (kind == Kind::kColumn || kind == Kind::kAggregate) return false;
  if (kind == Kind::kFunction && (fn == Fn::kCurrentTimeMillis || fn == Fn::kEventTimestamp))
    return false;
  for (const auto& a : args)
    if (!a->IsConstant()) return false;
  return true;
}

namespace {

struct FunctionInfo {
  const char* name;  // lower case
  Fn fn;
  int min_args;
  int max_args;  // -1: any number
  bool aggregate;
};

const FunctionInfo kFunctions[] = {
    {"upper", Fn::kUpper, 1, 1, false},
    {"lower", Fn::kLower, 1, 1, false},
    {"concat", Fn::kConcat, 1, -1, false},
    {"length", Fn::kLength, 1, 1, false},
    {"substr", Fn::kSubstr, 2, 3, false},
    {"substring", Fn::kSubstr, 2, 3, false},
    {"trim", Fn::kTrim, 1, 1, false},
    {"ltrim", Fn::kLtrim, 1, 1, false},
    {"rtrim", Fn::kRtrim, 1, 1, false},
    {"replace", Fn::kReplace, 3, 3, false},
    {"reverse", Fn::kReverse, 1, 1, false},
    {"contains", Fn::kContains, 2, 2, false},
    {"startswith", Fn::kStartsWith, 2, 2, false},
    {"starts_with", Fn::kStartsWith, 2, 2, false},
    {"endswith", Fn::kEndsWith, 2, 2, false},
    {"ends_with", Fn::kEndsWith, 2, 2, false},
    {"abs", Fn::kAbs, 1, 1, false},
    {"round", Fn::kRound, 1, 2, false},
    {"ceil", Fn::kCeil, 1, 1, false},
    {"ceiling", Fn::kCeil, 1, 1, false},
    {"floor", Fn::kFloor, 1, 1, false},
    {"sqrt", Fn::kSqrt, 1, 1, false},
    {"pow", Fn::kPow, 2, 2, false},
    {"power", Fn::kPow, 2, 2, false},
    {"exp", Fn::kExp, 1, 1, false},
    {"ln", Fn::kLn, 1, 1, false},
    {"log", Fn::kLn, 1, 1, false},
    {"log10", Fn::kLog10, 1, 1, false},
    {"sign", Fn::kSign, 1, 1, false},
    {"mod", Fn::kMod, 2, 2, false},
    {"greatest", Fn::kGreatest, 1, -1, false},
    {"least", Fn::kLeast, 1, -1, false},
    {"coalesce", Fn::kCoalesce, 1, -1, false},
    {"ifnull", Fn::kCoalesce, 2, 2, false},
    {"nullif", Fn::kNullif, 2, 2, false},
    {"currenttimemillis", Fn::kCurrentTimeMillis, 0, 0, false},
    {"eventtimestamp", Fn::kEventTimestamp, 0, 0, false},
    {"formattimestamp", Fn::kFormatTimestamp, 1, 1, false},
    {"parsetimestamp", Fn::kParseTimestamp, 1, 2, false},
    {"count", Fn::kCount, 0, 1, true},
    {"sum", Fn::kSum, 1, 1, true},
    {"avg", Fn::kAvg, 1, 1, true},
    {"min", Fn::kMin, 1, 1, true},
    {"max", Fn::kMax, 1, 1, true},
    {"stddev", Fn::kStddev, 1, 1, true},
    {"distinctcount", Fn::kDistinctCount, 1, 1, true},
    {"first", Fn::kFirst, 1, 1, true},
    {"last", Fn::kLast, 1, 1, true},
    {"minforever", Fn::kMinForever, 1, 1, true},
    {"maxforever", Fn::kMaxForever, 1, 1, true},
};

// Spellings shown in suggestions.
const std::vector<std::string> kFunctionNames = {"upper",
                                                 "lower",
                                                 "concat",
                                                 "length",
                                                 "substr",
                                                 "substring",
                                                 "trim",
                                                 "ltrim",
                                                 "rtrim",
                                                 "replace",
                                                 "reverse",
                                                 "contains",
                                                 "startsWith",
                                                 "endsWith",
                                                 "abs",
                                                 "round",
                                                 "ceil",
                                                 "floor",
                                                 "sqrt",
                                                 "pow",
                                                 "exp",
                                                 "ln",
                                                 "log10",
                                                 "sign",
                                                 "mod",
                                                 "greatest",
                                                 "least",
                                                 "coalesce",
                                                 "ifnull",
                                                 "nullif",
                                                 "currentTimeMillis",
                                                 "eventTimestamp",
                                                 "formatTimestamp",
                                                 "parseTimestamp",
                                                 "count",
                                                 "sum",
                                                 "avg",
                                                 "min",
                                                 "max",
                                                 "stddev",
                                                 "distinctCount",
                                                 "first",
                                                 "last",
                                                 "minForever",
                                                 "maxForever"};

const FunctionInfo* FindFunction(const std::string& name);

// Whether an expression (as written) calls an aggregate function.
bool AstHasAggregate(const sql::Expr& e) {
  if (e.kind == sql::Expr::Kind::kFunction) {
    const FunctionInfo* f = FindFunction(e.name);
    if (f && f->aggregate) return true;
  }
  for (const auto& a : e.args)
    if (AstHasAggregate(*a)) return true;
  return false;
}

const FunctionInfo* FindFunction(const std::string& name) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const FunctionInfo& f : kFunctions)
    if (lower == f.name) return &f;
  return nullptr;
}

const std::vector<std::string> kWindowKinds = {
    "length",       "lengthBatch",       "time",     "timeBatch",     "timeLength",
    "externalTime", "externalTimeBatch", "sort",     "session",       "delay",
    "unique",       "firstUnique",       "frequent", "lossyFrequent", "expression",
    "tumbling",     "sliding",           "cron"};

struct ScopeInput {
  std::string stream;
  std::string alias;
  const Schema* schema = nullptr;
  int offset = 0;
};

struct Scope {
  std::vector<ScopeInput> inputs;
  // Select-list aliases, usable in HAVING and ORDER BY.
  const std::vector<std::pair<std::string, const BoundExpr*>>* select_aliases = nullptr;
  bool allow_aggregates = false;
  const char* clause = "WHERE";
  bool saw_aggregate = false;
  // A pattern element's filter: unqualified names are the element's own stream (inputs[0]) first.
  bool prefer_first = false;
  // The query whose SELECT, HAVING or ORDER BY this is: window_start / window_end refer to its
  // window, which they describe only when the query aggregates.
  const QueryPlan* query = nullptr;
  bool query_aggregates = false;
};

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

class Binder {
 public:
  Binder(std::string_view source, Diagnostics* diags) : source_(source), diags_(diags) {}

  std::unique_ptr<AppPlan> Run(const sql::AppAst& ast) {
    plan_ = std::make_unique<AppPlan>();
    plan_->settings = ApplyAppAnnotations(ast.app_annotations, diags_);
    ApplySettings(ast.settings, &plan_->settings, diags_);
    // Definitions first, so that queries may read streams defined after them.
    for (const sql::Statement& st : ast.statements)
      if (st.kind == sql::Statement::Kind::kCreate && !st.create->as_query)
        DefineStream(*st.create, st.annotations);

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
    return std::move(plan_);
  }

 private:
  // ---- definitions -----------------------------------------------------------------------------
  bool CheckNameFree(const std::string& name, Loc loc) {
    if (const StreamDef* existing = plan_->catalog.Find(name)) {
      diags_->Error(loc, std::string(existing->is_table ? "table" : "stream") + " '" + name +
                             "' is already defined at line " + std::to_string(existing->loc.line));
      return false;
    }
    return true;
  }

  StreamDef* DefineStream(const sql::CreateStmt& c,
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

  StreamDef* FinishDefinition(std::unique_ptr<StreamDef> def,
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

  void AddFaultStream(StreamDef* p) {
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

  // ---- statements ------------------------------------------------------------------------------
  static void CollectPatternStreams(const sql::PatternNode& n, std::vector<std::string>* out) {
    if (!n.stream.empty()) out->push_back(n.stream);
    for (const auto& c : n.children) CollectPatternStreams(*c, out);
  }

  static std::vector<std::string> InputNames(const sql::Query& q) {
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

  bool InputsDefined(const sql::Statement& st) {
    const sql::Query& q = st.query ? *st.query : *st.create->as_query;
    for (const std::string& n : InputNames(q))
      if (!plan_->catalog.Find(n)) return false;
    return true;
  }

  void BindStatement(const sql::Statement& st, int number) {
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
    if (supported && diags_->error_count() == errors_before)
      plan_->queries.push_back(std::move(qp));
  }

  // What identifies a query across edits of the app (its state is found by it): its given name,
  // else the stream a CSAS / CTAS defines, else a fingerprint of its text with whitespace
  // normalised. Never its position. Made unique by a suffix when two would be equal.
  std::string StableId(const QueryPlan& qp, const sql::Statement& st, bool named) {
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

  std::string StatementText(Loc loc) const {
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

  void NotSupported(Loc loc, const std::string& construct, int length = 1) {
    diags_->Error(loc, "not supported yet: " + construct, "", length);
  }

  // Resolves one stream of FROM; null (with an error) when it is unknown.
  const StreamDef* ResolveStream(const sql::StreamRef& ref, bool allow_table) {
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

  std::string StreamSuggestion(const std::string& name) const {
    std::vector<std::string> names;
    for (const auto& d : plan_->catalog.all())
      if (!d->is_fault_stream) names.push_back(d->name);
    return sql::DidYouMean(name, names);
  }

  // Returns false when the query uses a construct that this version does not execute.
  bool BindQuery(const sql::Query& q, const sql::CreateStmt* create,
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
        join.type = j.type;
        auto joined = std::make_unique<StreamDef>();
        joined->name = l->name + " JOIN " + r->name;
        int offset = 0;
        for (auto [def, ref] : {std::pair{l, &j.left}, std::pair{r, &j.right}}) {
          scope.inputs.push_back({def->name, ref->alias, &def->schema, offset});
          if (def->is_fault_stream) scope.inputs.back().stream = ref->name;
          offset += static_cast<int>(def->schema.size());
          for (const Field& f : def->schema.fields())
            joined->schema.Add((ref->alias.empty() ? ref->name : ref->alias) + "." + f.name,
                               f.type);
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
        join.left.outer =
            j.type == sql::JoinType::kLeftOuter || j.type == sql::JoinType::kFullOuter;
        join.right.outer =
            j.type == sql::JoinType::kRightOuter || j.type == sql::JoinType::kFullOuter;
        if (j.on) join.on = BindCondition(*j.on, scope, "ON");
        // The rest of the query reads joined rows: one scope over both sides at their offsets.
        joined->loc = j.loc;
        join.joined = std::move(joined);
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
                            " in one stream and " + t.ToString() + " in '" + step.stream->name +
                            "'",
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
    qp->emit = q.emit;
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
        diags_->Error(q.offset->loc,
                      "OFFSET needs a non-negative integer, got " + q.offset->ToSql());
      else
        qp->offset = q.offset->literal.int_value();
    }
    qp->distinct = q.distinct;
    qp->emit = q.emit;
    if (qp->input && qp->input->event_time.late_data == LateData::kUpdate && qp->window &&
        (qp->window->kind == WindowPlan::Kind::kTimeBatch ||
         qp->window->kind == WindowPlan::Kind::kSliding) &&
        !qp->EmitsOnClose()) {
      NotSupported(
          q.emit_loc.line ? q.emit_loc : q.loc,
          "'late.data'='update' with EMIT CHANGES (corrections are rows of closed windows)", 4);
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
      r.kind = q.rate->kind;
      r.by_events = q.rate->by_events;
      r.events = q.rate->events;
      if (q.rate->duration) {
        CheckDuration(*q.rate->duration, "OUTPUT EVERY");
        r.period_ms = q.rate->duration->literal.int_value();
      }
      if (r.kind == sql::OutputRate::Kind::kSnapshot && r.by_events)
        diags_->Error(q.rate->loc, "OUTPUT SNAPSHOT needs a time period, e.g. EVERY 5 SECONDS", "",
                      6);
      qp->rate = r;
    }

    // The output.
    if (create) {
      if (q.output) {
        diags_->Error(q.output->loc,
                      "CREATE ... AS SELECT defines its own output; remove " +
                          std::string(q.output->kind == sql::OutputClause::Kind::kInsert
                                          ? "INSERT INTO"
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
        write.kind = target->primary_key.empty() ? sql::OutputClause::Kind::kInsert
                                                 : sql::OutputClause::Kind::kUpsert;
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
          qp->outputs.push_back({it.name, MakeCast(std::move(it.expr),
                                                   target->schema.field(qp->outputs.size()).type)});
      return supported;
    }

    if (!q.output) {
      diags_->Error(q.loc, "this query has no output", "add INSERT INTO <stream>", 6);
      return false;
    }
    const sql::OutputClause& out = *q.output;
    qp->events = out.events;
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

  // A query's rows into a table: INSERT INTO, UPDATE, DELETE, UPDATE OR INSERT INTO.
  template <typename Items>
  bool PlanTableWrite(const sql::OutputClause& out, const StreamDef* table, Items* items,
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
    write.kind = out.kind;
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
      std::vector<const BoundExpr*> todo = {write.on.get()};
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
        if (a.column >= width && b.column < width) equal[a.column - width] = b.column;
        if (b.column >= width && a.column < width) equal[b.column - width] = a.column;
      }
      for (int k : table->primary_key) {
        if (!equal.count(k)) {
          write.key_from.clear();
          break;
        }
        write.key_from.push_back(equal[k]);
      }
    }
    for (const auto& set : out.sets) {
      int col = table->schema.IndexOf(set.column);
      if (col < 0) {
        diags_->Error(set.loc, "table '" + table->name + "' has no column '" + set.column + "'",
                      "its columns: " + table->schema.ToString());
        continue;
      }
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
  void MapOutputs(Items* items, const StreamDef* target, Loc loc, QueryPlan* qp) {
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

  // ---- windows, patterns -----------------------------------------------------------------------
  // Moves every aggregate of `e` into `aggs` (once per distinct aggregate) and puts a column
  // reference in its place: base + its index.
  static void ExtractAggregates(BoundExprPtr& e, int base, std::vector<AggregatePlan>* aggs) {
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

  // The window of a query over one stream, or nullopt (with an error) when it is invalid or not
  // executed by this version.
  std::optional<WindowPlan> BuildWindow(const sql::WindowSpec& w, const StreamDef* def) {
    if (!CheckWindow(w, def)) return std::nullopt;
    using K = WindowPlan::Kind;
    static const std::map<std::string, K> kKinds = {{"length", K::kLength},
                                                    {"lengthBatch", K::kLengthBatch},
                                                    {"time", K::kTime},
                                                    {"timeBatch", K::kTimeBatch},
                                                    {"tumbling", K::kTimeBatch},
                                                    {"timeLength", K::kTimeLength},
                                                    {"externalTime", K::kExternalTime},
                                                    {"externalTimeBatch", K::kExternalTimeBatch},
                                                    {"sliding", K::kSliding},
                                                    {"session", K::kSession},
                                                    {"sort", K::kSort},
                                                    {"unique", K::kUnique},
                                                    {"firstUnique", K::kFirstUnique},
                                                    {"delay", K::kDelay},
                                                    {"frequent", K::kFrequent},
                                                    {"lossyFrequent", K::kLossyFrequent},
                                                    {"expression", K::kExpression}};
    auto it = kKinds.find(w.kind);
    if (it == kKinds.end()) {
      NotSupported(w.loc, w.ToSql(), 6);
      return std::nullopt;
    }
    WindowPlan p;
    p.kind = it->second;
    p.sql = w.ToSql();
    Scope scope;
    scope.inputs.push_back({def->name, "", &def->schema, 0});
    auto column = [&](const Expr& e, const char* what) {
      BoundExprPtr b = BindExpr(e, scope);
      if (!b) return -1;
      if (b->kind != BoundExpr::Kind::kColumn) {
        diags_->Error(e.loc,
                      w.ToSql() + " needs an attribute as its " + what + ", got " + e.ToSql());
        return -1;
      }
      return b->column;
    };
    auto num = [](const Expr& e) { return e.literal.int_value(); };
    const auto& a = w.args;
    switch (p.kind) {
      case K::kLength:
      case K::kLengthBatch:
        p.length = num(*a[0]);
        break;
      case K::kTime:
      case K::kDelay:
        p.time_ms = num(*a[0]);
        break;
      case K::kTimeBatch:
        p.time_ms = num(*a[0]);
        if (a.size() > 1) {
          p.has_start = true;
          p.start_ms = num(*a[1]);
        }
        // TUMBLING(size[, offset]) is aligned to the epoch (plus the offset), as in Flink SQL and
        // ksqlDB; WINDOW('timeBatch', t) starts at its first event, as in Siddhi.
        if (w.kind == "tumbling") p.has_start = true;
        break;
      case K::kTimeLength:
        p.time_ms = num(*a[0]);
        p.length = num(*a[1]);
        break;
      case K::kExternalTime:
      case K::kExternalTimeBatch:
        p.time_column = column(*a[0], "time attribute");
        p.time_ms = num(*a[1]);
        if (a.size() > 2) {
          if (a[2]->kind != Expr::Kind::kLiteral || a[2]->literal.type() == TypeId::kString) {
            diags_->Error(a[2]->loc, w.ToSql() + " takes a start time in ms as its third argument");
          } else {
            p.has_start = true;
            p.start_ms = num(*a[2]);
          }
        }
        break;
      case K::kSliding:
        p.time_ms = num(*a[0]);
        p.slide_ms = num(*a[1]);
        break;
      case K::kSession:
        p.time_ms = num(*a[0]);
        if (a.size() > 1) p.key_column = column(*a[1], "session key");
        break;
      case K::kSort: {
        p.length = num(*a[0]);
        p.key_column = column(*a[1], "sort attribute");
        if (a.size() > 2) {
          std::string order =
              a[2]->kind == Expr::Kind::kLiteral && a[2]->literal.type() == TypeId::kString
                  ? a[2]->literal.string_value()
                  : "";
          for (char& c : order) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (order != "asc" && order != "desc")
            diags_->Error(a[2]->loc, w.ToSql() + ": the order is 'asc' or 'desc'");
          p.descending = order == "desc";
        }
        break;
      }
      case K::kUnique:
      case K::kFirstUnique:
        p.key_column = column(*a[0], "key");
        break;
      case K::kFrequent:
        p.length = num(*a[0]);
        for (size_t i = 1; i < a.size(); ++i) p.key_columns.push_back(column(*a[i], "key"));
        break;
      case K::kLossyFrequent: {
        auto real = [&](const Expr& e, double* out) {
          if (e.kind != Expr::Kind::kLiteral || e.is_duration ||
              e.literal.type() == TypeId::kString || e.literal.is_null() ||
              e.literal.AsDouble() <= 0 || e.literal.AsDouble() >= 1) {
            diags_->Error(e.loc,
                          w.ToSql() + " needs support and error between 0 and 1, got " + e.ToSql());
            return false;
          }
          *out = e.literal.AsDouble();
          return true;
        };
        if (!real(*a[0], &p.support)) return std::nullopt;
        p.error = p.support / 10;
        size_t first_key = 1;
        if (a.size() > 1 && a[1]->kind == Expr::Kind::kLiteral) {
          if (!real(*a[1], &p.error)) return std::nullopt;
          first_key = 2;
        }
        if (p.error >= p.support) {
          diags_->Error(w.loc, w.ToSql() + ": the error must be smaller than the support", "", 6);
          return std::nullopt;
        }
        for (size_t i = first_key; i < a.size(); ++i) p.key_columns.push_back(column(*a[i], "key"));
        break;
      }
      case K::kExpression: {
        // The condition is SQL in a string: parsed and bound here, errors reported at the string.
        const Expr& text = *a[0];
        sql::Diagnostics inner;
        sql::ExprPtr cond = sql::ParseExpression(text.literal.string_value(), &inner);
        for (const sql::Diagnostic& d : inner.all())
          diags_->Error(text.loc, w.ToSql() + ": " + d.message + " (at column " +
                                      std::to_string(d.loc.col) + " of the condition)");
        if (!cond) return std::nullopt;
        Scope cs = scope;
        cs.allow_aggregates = true;
        cs.clause = "a window condition";
        BoundExprPtr b = BindCondition(*cond, cs, "WINDOW('expression')");
        if (!b) return std::nullopt;
        ExtractAggregates(b, static_cast<int>(def->schema.size()), &p.condition_aggregates);
        p.condition = std::move(b);
        break;
      }
    }
    for (int c : p.key_columns)
      if (c < 0) return std::nullopt;
    if ((p.kind == K::kExternalTime || p.kind == K::kExternalTimeBatch) && p.time_column < 0)
      return std::nullopt;
    return p;
  }

  // Validates a window's kind and arguments; false when it reported an error.
  bool CheckWindow(const sql::WindowSpec& w, const StreamDef* def) {
    int before = diags_->error_count();
    bool known = false;
    for (const auto& k : kWindowKinds) known |= k == w.kind;
    if (!known) {
      diags_->Error(w.loc, "unknown window '" + w.kind + "'", sql::DidYouMean(w.kind, kWindowKinds),
                    6);
      return false;
    }
    Scope scope;
    if (def) scope.inputs.push_back({def->name, "", &def->schema, 0});
    auto need = [&](size_t min, size_t max) {
      if (w.args.size() < min || w.args.size() > max) {
        std::string range =
            min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
        diags_->Error(w.loc, w.ToSql() + " takes " + range + " argument(s) after the kind", "", 6);
        return false;
      }
      return true;
    };
    const std::string& k = w.kind;
    if (k == "length" || k == "lengthBatch") {
      if (need(1, 2)) CheckCount(*w.args[0], "WINDOW('" + k + "', n)");
    } else if (k == "time" || k == "timeBatch" || k == "tumbling" || k == "delay") {
      if (need(1, k == "timeBatch" || k == "tumbling" ? 2 : 1)) {
        CheckDuration(*w.args[0], w.ToSql());
        if (w.args.size() == 2) {
          const Expr& start = *w.args[1];
          if (start.kind != Expr::Kind::kLiteral ||
              !(start.is_duration || start.literal.type() == TypeId::kInt ||
                start.literal.type() == TypeId::kBigint))
            diags_->Error(start.loc,
                          w.ToSql() +
                              (k == "tumbling" ? " takes an offset such as 2 HOURS"
                                               : " takes a start time in ms") +
                              " as its second argument, got " + start.ToSql(),
                          "", start.length);
        }
      }
    } else if (k == "sliding") {
      if (need(2, 2)) {
        CheckDuration(*w.args[0], w.ToSql());
        CheckDuration(*w.args[1], w.ToSql());
      }
    } else if (k == "timeLength") {
      if (need(2, 2)) {
        CheckDuration(*w.args[0], w.ToSql());
        CheckCount(*w.args[1], w.ToSql());
      }
    } else if (k == "externalTime" || k == "externalTimeBatch") {
      if (need(2, 3)) {
        BoundExprPtr ts = BindExpr(*w.args[0], scope);
        if (ts && !ts->type.is_integer() && ts->type.id != TypeId::kTimestamp)
          diags_->Error(w.args[0]->loc, w.ToSql() +
                                            " needs a BIGINT or TIMESTAMP time attribute, "
                                            "got " +
                                            ts->type.ToString());
        CheckDuration(*w.args[1], w.ToSql());
      }
    } else if (k == "session") {
      if (need(1, 2)) {
        CheckDuration(*w.args[0], w.ToSql());
        if (w.args.size() == 2) BindExpr(*w.args[1], scope);
      }
    } else if (k == "sort") {
      if (need(2, 3)) {
        CheckCount(*w.args[0], w.ToSql());
        BindExpr(*w.args[1], scope);
      }
    } else if (k == "unique" || k == "firstUnique") {
      if (need(1, 1)) BindExpr(*w.args[0], scope);
    } else if (k == "frequent") {
      if (need(1, 64)) CheckCount(*w.args[0], w.ToSql());
    } else if (k == "lossyFrequent") {
      need(1, 64);
    } else if (k == "expression") {
      if (need(1, 1) &&
          (w.args[0]->kind != Expr::Kind::kLiteral || w.args[0]->literal.type() != TypeId::kString))
        diags_->Error(w.args[0]->loc, w.ToSql() +
                                          " takes its condition as a string, e.g. "
                                          "WINDOW('expression', 'count() <= 20')");
    }
    return diags_->error_count() == before;
  }

  void CheckDuration(const Expr& e, const std::string& where) {
    if (e.kind == Expr::Kind::kLiteral && (e.is_duration || e.literal.type() == TypeId::kInt ||
                                           e.literal.type() == TypeId::kBigint)) {
      if (e.literal.int_value() <= 0)
        diags_->Error(e.loc, where + " needs a positive duration, got " + e.ToSql(), "", e.length);
      return;
    }
    diags_->Error(e.loc, where + " needs a duration such as 5 SECONDS, got " + e.ToSql(), "",
                  e.length);
  }

  void CheckCount(const Expr& e, const std::string& where) {
    if (e.kind == Expr::Kind::kLiteral && !e.is_duration &&
        (e.literal.type() == TypeId::kInt || e.literal.type() == TypeId::kBigint)) {
      if (e.literal.int_value() <= 0)
        diags_->Error(e.loc, where + " needs a positive integer, got " + e.ToSql(), "", e.length);
      return;
    }
    diags_->Error(e.loc, where + " needs a positive integer, got " + e.ToSql(), "", e.length);
  }

  // The pattern as steps in order, or nullopt (reported) when it uses a form this version does
  // not run. `scope` has an input per element, in the order they are written.
  std::optional<PatternPlan> PlanPattern(const sql::PatternSpec& spec, const Scope& scope,
                                         std::map<const sql::PatternNode*, BoundExprPtr>* filters) {
    using K = sql::PatternNode::Kind;
    PatternPlan plan;
    plan.sequence = spec.is_sequence;
    const sql::ExprPtr* within = spec.within ? &spec.within : nullptr;
    const sql::PatternNode* n = spec.root.get();
    std::vector<const sql::PatternNode*> elements;
    if (n->within) within = &n->within;
    if (n->kind == K::kEvery) {
      n = n->children[0].get();
      if (n->within) within = &n->within;
      plan.every = PatternPlan::Every::kGroup;
    }
    if (n->kind == K::kFollowedBy) {
      for (size_t i = 0; i < n->children.size(); ++i) {
        const sql::PatternNode* c = n->children[i].get();
        if (i == 0 && c->kind == K::kEvery && plan.every == PatternPlan::Every::kNone &&
            (c->children[0]->kind == K::kElement || c->children[0]->kind == K::kNot)) {
          plan.every = PatternPlan::Every::kFirst;
          c = c->children[0].get();
        }
        elements.push_back(c);
      }
    } else {
      elements.push_back(n);
    }
    // `a AND b` / `a OR b` of two single elements: two steps, the first marked as joint.
    std::map<const sql::PatternNode*, PatternStepPlan::Joint> joints;
    bool ok = true;
    {
      std::vector<const sql::PatternNode*> flat;
      for (const sql::PatternNode* e : elements) {
        if ((e->kind == K::kAnd || e->kind == K::kOr) && e->children.size() == 2 &&
            e->children[0]->kind == K::kElement && e->children[1]->kind == K::kElement &&
            e->children[0]->min_count == 1 && e->children[0]->max_count == 1 &&
            e->children[1]->min_count == 1 && e->children[1]->max_count == 1) {
          joints[e->children[0].get()] =
              e->kind == K::kAnd ? PatternStepPlan::Joint::kAnd : PatternStepPlan::Joint::kOr;
          flat.push_back(e->children[0].get());
          flat.push_back(e->children[1].get());
          continue;
        }
        flat.push_back(e);
      }
      elements = std::move(flat);
    }
    for (size_t i = 0; i < elements.size(); ++i) {
      const sql::PatternNode* e = elements[i];
      if (e->kind == K::kEvery) {
        NotSupported(e->loc, "EVERY inside a pattern (only on the first element or the whole)", 5);
        ok = false;
      } else if (e->kind == K::kAnd || e->kind == K::kOr) {
        NotSupported(e->loc,
                     std::string(e->kind == K::kAnd ? "AND" : "OR") +
                         " in a pattern other than between two single elements",
                     3);
        ok = false;
      } else if (e->kind == K::kFollowedBy) {
        NotSupported(e->loc, "a nested pattern group");
        ok = false;
      } else if (e->kind == K::kNot && !e->for_duration) {
        NotSupported(e->loc, "NOT without FOR in a pattern", 3);
        ok = false;
      } else if (e->kind == K::kNot && spec.is_sequence) {
        NotSupported(e->loc, "NOT in a SEQUENCE", 3);
        ok = false;
      } else if (e->kind == K::kNot && i > 0 &&
                 (elements[i - 1]->min_count != 1 || elements[i - 1]->max_count != 1)) {
        NotSupported(e->loc, "NOT after an element that collects a count of events", 3);
        ok = false;
      } else if (e->kind == K::kElement && e->min_count == 0 && i + 1 < elements.size() &&
                 elements[i + 1]->kind == K::kElement && elements[i + 1]->min_count == 0) {
        NotSupported(elements[i + 1]->stream_loc, "two optional elements in a row",
                     static_cast<int>(elements[i + 1]->stream.size()));
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    size_t input = 0;
    for (const sql::PatternNode* e : elements) {
      if (input >= scope.inputs.size()) return std::nullopt;  // reported while binding
      PatternStepPlan step;
      step.stream = plan_->catalog.Find(scope.inputs[input].stream);
      step.alias = e->alias;
      step.first_column = scope.inputs[input].offset;
      step.event_column = step.first_column;
      step.absent = e->kind == K::kNot;
      if (step.absent) step.for_ms = e->for_duration->literal.int_value();
      if (e->kind == K::kElement) {
        step.min_count = e->min_count;
        step.max_count = e->max_count;
      }
      ++input;
      if (e->kind == K::kElement && e->max_count != 1)
        step.event_column = scope.inputs[input++].offset;
      auto f = filters->find(e);
      if (f != filters->end()) step.condition = std::move(f->second);
      auto j = joints.find(e);
      if (j != joints.end()) step.joint = j->second;
      if (!step.stream) return std::nullopt;
      plan.steps.push_back(std::move(step));
    }
    if (within) plan.within_ms = (*within)->literal.int_value();
    return plan;
  }

  // Splits `where` into its AND-ed conjuncts and adds each to the first step by which every
  // column it reads is bound.
  static void PushDownToSteps(BoundExprPtr where, PatternPlan* plan) {
    std::vector<BoundExprPtr> conjuncts;
    std::vector<BoundExprPtr> todo;
    todo.push_back(std::move(where));
    while (!todo.empty()) {
      BoundExprPtr e = std::move(todo.back());
      todo.pop_back();
      if (e->kind == BoundExpr::Kind::kAnd) {
        for (auto it = e->args.rbegin(); it != e->args.rend(); ++it) todo.push_back(std::move(*it));
        continue;
      }
      conjuncts.push_back(std::move(e));
    }
    for (BoundExprPtr& c : conjuncts) {
      int last_column = -1;
      std::function<void(const BoundExpr&)> scan = [&](const BoundExpr& x) {
        if (x.kind == BoundExpr::Kind::kColumn) last_column = std::max(last_column, x.column);
        for (const auto& a : x.args) scan(*a);
      };
      scan(*c);
      size_t at = 0;
      for (size_t i = 0; i < plan->steps.size(); ++i)
        if (plan->steps[i].first_column <= last_column) at = i;
      // Naming both sides of an AND / OR: checked when the second of them comes.
      bool spans_joint = false;
      if (at > 0 && plan->steps[at - 1].joint != PatternStepPlan::Joint::kNone) {
        int lo = plan->steps[at - 1].first_column, hi = plan->steps[at].first_column;
        std::function<bool(const BoundExpr&)> names_partner = [&](const BoundExpr& x) {
          if (x.kind == BoundExpr::Kind::kColumn && x.column >= lo && x.column < hi) return true;
          for (const auto& a : x.args)
            if (names_partner(*a)) return true;
          return false;
        };
        spans_joint = names_partner(*c);
      }
      if (spans_joint)
        AndInto(&plan->steps[at - 1].joint_condition, std::move(c));
      else
        AndInto(&plan->steps[at].condition, std::move(c));
    }
  }

  static void AndInto(BoundExprPtr* target, BoundExprPtr c) {
    if (!*target) {
      *target = std::move(c);
      return;
    }
    auto both = std::make_unique<BoundExpr>();
    both->kind = BoundExpr::Kind::kAnd;
    both->type = DataType::Bool();
    both->loc = (*target)->loc;
    both->text = (*target)->text + " AND " + c->text;
    both->args.push_back(std::move(*target));
    both->args.push_back(std::move(c));
    *target = std::move(both);
  }

  void BindPatternScope(const sql::PatternNode& n, Scope* scope) {
    if (n.kind == sql::PatternNode::Kind::kElement || n.kind == sql::PatternNode::Kind::kNot) {
      const StreamDef* def = plan_->catalog.Find(n.stream);
      if (!def) {
        diags_->Error(n.stream_loc, "unknown stream '" + n.stream + "'", StreamSuggestion(n.stream),
                      static_cast<int>(n.stream.size()));
      } else {
        for (const ScopeInput& in : scope->inputs)
          if (!n.alias.empty() && in.alias == n.alias)
            diags_->Error(n.loc, "pattern alias '" + n.alias + "' is used twice");
        int offset = 0;
        if (!scope->inputs.empty())
          offset =
              scope->inputs.back().offset + static_cast<int>(scope->inputs.back().schema->size());
        scope->inputs.push_back({def->name, n.alias, &def->schema, offset});
        // An element that collects several events keeps its first (e[0], `alias`) and its last
        // (e[last], `alias[last]`).
        if (n.kind == sql::PatternNode::Kind::kElement && n.max_count != 1) {
          if (n.alias.empty())
            diags_->Error(n.stream_loc, "an element that collects several events needs an alias",
                          "e.g. e1=" + n.stream + "{2,5}", static_cast<int>(n.stream.size()));
          counted_aliases_.insert(n.alias);
          scope->inputs.push_back({def->name, n.alias + "[last]", &def->schema,
                                   offset + static_cast<int>(def->schema.size())});
        }
      }
      if (n.for_duration) CheckDuration(*n.for_duration, "NOT ... FOR");
    }
    if (n.within) CheckDuration(*n.within, "WITHIN");
    for (const auto& c : n.children) BindPatternScope(*c, scope);
  }

  void BindPatternFilters(const sql::PatternNode& n, const Scope& scope,
                          std::map<const sql::PatternNode*, BoundExprPtr>* bound) {
    if (n.filter) {
      // An element's filter sees its own stream unqualified and earlier aliases qualified.
      Scope s = scope;
      std::string self_alias = n.max_count != 1 ? n.alias + "[last]" : n.alias;
      for (auto& in : s.inputs)
        if (in.stream == n.stream && in.alias == self_alias) {
          ScopeInput self = in;
          s.inputs.erase(std::remove_if(s.inputs.begin(), s.inputs.end(),
                                        [&](const ScopeInput& x) {
                                          return x.stream == self.stream && x.alias == self.alias;
                                        }),
                         s.inputs.end());
          s.inputs.insert(s.inputs.begin(), self);
          s.prefer_first = true;
          break;
        }
      (*bound)[&n] = BindCondition(*n.filter, s, "pattern filter");
    }
    for (const auto& c : n.children) BindPatternFilters(*c, scope, bound);
  }

  // ---- expressions -----------------------------------------------------------------------------
  static bool ContainsAggregate(const BoundExpr& e) {
    if (e.kind == BoundExpr::Kind::kAggregate) return true;
    for (const auto& a : e.args)
      if (ContainsAggregate(*a)) return true;
    return false;
  }
  static Loc FirstAggregateLoc(const BoundExpr& e) {
    if (e.kind == BoundExpr::Kind::kAggregate) return e.loc;
    for (const auto& a : e.args)
      if (ContainsAggregate(*a)) return FirstAggregateLoc(*a);
    return e.loc;
  }

  BoundExprPtr BindCondition(const Expr& e, Scope& scope, const char* clause) {
    Scope s = scope;
    if (std::string(clause) != "HAVING") s.clause = clause;
    BoundExprPtr b = BindExpr(e, s);
    if (b && b->type.id != TypeId::kBool && b->type.id != TypeId::kNull) {
      diags_->Error(e.loc,
                    std::string(clause) + " needs a BOOL condition, but '" + e.ToSql() + "' is " +
                        b->type.ToString(),
                    "", e.length);
      return nullptr;
    }
    if (b && b->type.id == TypeId::kNull) b = MakeCast(std::move(b), DataType::Bool());
    return b;
  }

  // window_start / window_end (TIMESTAMP) of the window that produced an aggregate row
  // (DIALECT.md "Windows"). A row of a window that closes carries the close time, so the end is
  // the row's time; per event (EMIT CHANGES) a tumbling window's bounds follow from the event's
  // time, a session's from its events so far.
  BoundExprPtr WindowBound(const Expr& e, Scope& scope) {
    const QueryPlan* q = scope.query;
    bool end = e.name == "window_end";
    if (!q || !q->window) {
      diags_->Error(e.loc,
                    e.name +
                        " is the bound of a window: it needs a windowed aggregate and is "
                        "known in SELECT, HAVING and ORDER BY",
                    "", e.length);
      return nullptr;
    }
    const WindowPlan& w = *q->window;
    // Without aggregates a closing window emits its events with their own times: the row says
    // nothing of the window's bounds.
    if (!scope.query_aggregates) {
      diags_->Error(e.loc,
                    e.name +
                        " is the bound of the window that produced an aggregate row; this "
                        "query does not aggregate",
                    "add GROUP BY or an aggregate such as count()", e.length);
      return nullptr;
    }
    using K = WindowPlan::Kind;
    std::string size = std::to_string(w.time_ms);
    std::string text;
    bool on_close = q->EmitsOnClose();
    if (w.kind == K::kSession) {
      text = end ? (on_close ? "eventTimestamp()" : "max(eventTimestamp()) + " + size)
                 : "min(eventTimestamp())";
    } else if ((w.kind == K::kTimeBatch || w.kind == K::kSliding ||
                w.kind == K::kExternalTimeBatch) &&
               on_close) {
      text = end ? "eventTimestamp()" : "eventTimestamp() - " + size;
    } else if (w.kind == K::kTimeBatch && w.has_start) {
      // Per event: the aligned window that holds the event's time (a floor modulo).
      std::string start = "eventTimestamp() - mod(mod(eventTimestamp() - " +
                          std::to_string(w.start_ms) + ", " + size + ") + " + size + ", " + size +
                          ")";
      text = end ? start + " + " + size : start;
    } else {
      diags_->Error(e.loc,
                    e.name +
                        " is defined for the windows that close: TUMBLING, SLIDING, SESSION, "
                        "timeBatch and externalTimeBatch (per event only for TUMBLING and "
                        "SESSION); this query has " +
                        w.sql,
                    "", e.length);
      return nullptr;
    }
    sql::Diagnostics inner;
    sql::ExprPtr expr = sql::ParseExpression("CAST(" + text + " AS TIMESTAMP)", &inner);
    BoundExprPtr b = expr ? BindExpr(*expr, scope) : nullptr;
    if (!b) {
      diags_->Error(e.loc, "internal: cannot compute " + e.name + " for " + w.sql);
      return nullptr;
    }
    b->text = e.name;
    b->loc = e.loc;
    return b;
  }

  BoundExprPtr ResolveColumn(const Expr& e, Scope& scope) {
    std::vector<std::string> candidates;
    const ScopeInput* found = nullptr;
    int index = -1;
    if (!e.qualifier.empty()) {
      for (const ScopeInput& in : scope.inputs) {
        if (in.alias == e.qualifier || (in.alias.empty() && in.stream == e.qualifier) ||
            (!in.alias.empty() && in.stream == e.qualifier && scope.inputs.size() == 1)) {
          found = &in;
          break;
        }
      }
      if (!found) {
        std::vector<std::string> quals;
        for (const ScopeInput& in : scope.inputs)
          quals.push_back(in.alias.empty() ? in.stream : in.alias);
        diags_->Error(e.loc, "unknown stream or alias '" + e.qualifier + "' in '" + e.ToSql() + "'",
                      sql::DidYouMean(e.qualifier, quals), static_cast<int>(e.qualifier.size()));
        return nullptr;
      }
      index = found->schema->IndexOf(e.name);
      if (index < 0) {
        for (const auto& f : found->schema->fields()) candidates.push_back(f.name);
        diags_->Error(e.loc, "'" + found->stream + "' has no attribute '" + e.name + "'",
                      sql::DidYouMean(e.name, candidates), e.length);
        return nullptr;
      }
    } else {
      // A select alias (HAVING, ORDER BY) wins over an input attribute of the same name? No:
      // input attributes first, as in SQL; aliases fill the gaps.
      int matches = 0;
      if (scope.prefer_first && !scope.inputs.empty() &&
          scope.inputs[0].schema->IndexOf(e.name) >= 0) {
        found = &scope.inputs[0];
        index = found->schema->IndexOf(e.name);
        matches = 1;
      }
      for (const ScopeInput& in : scope.inputs) {
        if (matches == 1 && scope.prefer_first) break;
        int i = in.schema->IndexOf(e.name);
        if (i >= 0) {
          if (matches == 0) found = &in, index = i;
          ++matches;
        }
        for (const auto& f : in.schema->fields()) candidates.push_back(f.name);
      }
      if (matches > 1) {
        std::string a =
            scope.inputs[0].alias.empty() ? scope.inputs[0].stream : scope.inputs[0].alias;
        diags_->Error(e.loc,
                      "'" + e.name + "' is ambiguous: more than one stream of this query has it",
                      "qualify it, e.g. " + a + "." + e.name, e.length);
        return nullptr;
      }
      if (matches == 0) {
        if (scope.select_aliases) {
          for (const auto& [name, expr] : *scope.select_aliases) {
            if (name == e.name) {
              BoundExprPtr c = expr->Clone();
              c->loc = e.loc;
              if (ContainsAggregate(*c)) scope.saw_aggregate = true;
              return c;
            }
          }
          for (const auto& [name, expr] : *scope.select_aliases) candidates.push_back(name);
        }
        if (e.name == "window_start" || e.name == "window_end") return WindowBound(e, scope);
        std::string where;
        if (scope.inputs.size() == 1) where = " of '" + scope.inputs[0].stream + "'";
        diags_->Error(e.loc, "unknown attribute '" + e.name + "'" + where,
                      sql::DidYouMean(e.name, candidates), e.length);
        return nullptr;
      }
    }
    auto b = std::make_unique<BoundExpr>();
    b->kind = BoundExpr::Kind::kColumn;
    b->column = found->offset + index;
    b->type = found->schema->field(index).type;
    b->loc = e.loc;
    b->text = e.ToSql();
    return b;
  }

  BoundExprPtr BindExpr(const Expr& e, Scope& scope) {
    BoundExprPtr b = BindExprInner(e, scope);
    if (b && b->text.empty()) b->text = e.ToSql();
    return b;
  }

  BoundExprPtr Node(BoundExpr::Kind kind, DataType type, const Expr& e) {
    auto b = std::make_unique<BoundExpr>();
    b->kind = kind;
    b->type = type;
    b->loc = e.loc;
    b->text = e.ToSql();
    return b;
  }

  // Binds all args; null when one failed.
  bool BindArgs(const Expr& e, Scope& scope, std::vector<BoundExprPtr>* out, size_t from = 0) {
    bool ok = true;
    for (size_t i = from; i < e.args.size(); ++i) {
      out->push_back(BindExpr(*e.args[i], scope));
      ok = ok && out->back();
    }
    return ok;
  }

  BoundExprPtr BindComparison(BinaryOp op, BoundExprPtr l, BoundExprPtr r, const Expr& e,
                              const Expr& le, const Expr& re) {
    MakeLiteralExact(l, *r);
    MakeLiteralExact(r, *l);
    std::optional<DataType> t = CommonType(l->type, r->type);
    if (!t) {
      diags_->Error(e.loc,
                    "cannot compare " + l->type.ToString() + " " + Show(le) + " with " +
                        r->type.ToString() + " " + Show(re),
                    "CAST one side, e.g. CAST(" + re.ToSql() + " AS " + l->type.ToString() + ")");
      return nullptr;
    }
    if (t->id == TypeId::kNull) t = DataType::Bool();
    auto b = Node(BoundExpr::Kind::kCompare, DataType::Bool(), e);
    b->op = op;
    b->args.push_back(MakeCast(std::move(l), *t));
    b->args.push_back(MakeCast(std::move(r), *t));
    return b;
  }

  BoundExprPtr BindExprInner(const Expr& e, Scope& scope) {
    switch (e.kind) {
      case Expr::Kind::kLiteral: {
        DataType t;
        switch (e.literal.type()) {
          case TypeId::kNull:
            t = DataType::Null();
            break;
          case TypeId::kDecimal:
            t = DataType::Decimal(18, e.literal.scale());
            break;
          default:
            t = DataType{e.literal.type()};
        }
        auto b = MakeLiteral(e.literal, t, e.loc);
        b->text = e.ToSql();
        return b;
      }
      case Expr::Kind::kColumn:
        if (e.index) {
          // e[0] is the element's first event, e[last] its last (the same event for an element
          // that takes one).
          Expr plain(Expr::Kind::kColumn, e.loc);
          plain.qualifier = e.qualifier;
          plain.name = e.name;
          plain.length = e.length;
          bool counted = counted_aliases_.count(e.qualifier) > 0;
          if (*e.index != 0) {
            NotSupported(e.loc, "event indexes other than [0] and [last] ('" + e.ToSql() + "')",
                         e.length);
            return nullptr;
          }
          if (counted && e.index_last) plain.qualifier += "[last]";
          return ResolveColumn(plain, scope);
        }
        if (!e.qualifier.empty() && counted_aliases_.count(e.qualifier)) {
          diags_->Error(e.loc, "'" + e.qualifier + "' collects several events: name one of them",
                        e.qualifier + "[0]." + e.name + " or " + e.qualifier + "[last]." + e.name,
                        e.length);
          return nullptr;
        }
        return ResolveColumn(e, scope);
      case Expr::Kind::kStar:
        diags_->Error(e.loc, "'*' is allowed only as the whole select list or in count(*)");
        return nullptr;
      case Expr::Kind::kUnary: {
        BoundExprPtr a = BindExpr(*e.args[0], scope);
        if (!a) return nullptr;
        if (e.unary_op == sql::UnaryOp::kNot) {
          if (a->type.id != TypeId::kBool && a->type.id != TypeId::kNull) {
            diags_->Error(e.loc, "NOT needs a BOOL, but '" + e.args[0]->ToSql() + "' is " +
                                     a->type.ToString());
            return nullptr;
          }
          auto b = Node(BoundExpr::Kind::kNot, DataType::Bool(), e);
          b->args.push_back(MakeCast(std::move(a), DataType::Bool()));
          return b;
        }
        if (!a->type.is_numeric() && a->type.id != TypeId::kNull) {
          diags_->Error(e.loc, "unary '-' needs a number, but '" + e.args[0]->ToSql() + "' is " +
                                   a->type.ToString());
          return nullptr;
        }
        DataType t = a->type.id == TypeId::kNull ? DataType::Int() : a->type;
        auto b = Node(BoundExpr::Kind::kNeg, t, e);
        b->args.push_back(MakeCast(std::move(a), t));
        return b;
      }
      case Expr::Kind::kBinary: {
        BinaryOp op = e.binary_op;
        if (op == BinaryOp::kAnd || op == BinaryOp::kOr) {
          // A flat chain of any number of operands.
          std::vector<BoundExprPtr> operands;
          if (!BindArgs(e, scope, &operands)) return nullptr;
          for (size_t i = 0; i < operands.size(); ++i) {
            if (operands[i]->type.id != TypeId::kBool && operands[i]->type.id != TypeId::kNull) {
              const Expr& se = *e.args[i];
              diags_->Error(se.loc,
                            std::string(sql::BinaryOpText(op)) + " needs BOOL operands, but '" +
                                se.ToSql() + "' is " + operands[i]->type.ToString(),
                            "", se.length);
              return nullptr;
            }
          }
          auto b = Node(op == BinaryOp::kAnd ? BoundExpr::Kind::kAnd : BoundExpr::Kind::kOr,
                        DataType::Bool(), e);
          for (BoundExprPtr& operand : operands)
            b->args.push_back(MakeCast(std::move(operand), DataType::Bool()));
          return b;
        }
        BoundExprPtr l = BindExpr(*e.args[0], scope);
        BoundExprPtr r = BindExpr(*e.args[1], scope);
        if (!l || !r) return nullptr;
        if (op >= BinaryOp::kEq && op <= BinaryOp::kGe)
          return BindComparison(op, std::move(l), std::move(r), e, *e.args[0], *e.args[1]);
        MakeLiteralExact(l, *r);
        MakeLiteralExact(r, *l);
        std::optional<DataType> t = ArithmeticType(op, l->type, r->type);
        if (!t) {
          std::string hint;
          if (l->type.id == TypeId::kString || r->type.id == TypeId::kString)
            hint = op == BinaryOp::kAdd ? "to join strings use concat(a, b)"
                                        : "CAST the STRING to a number";
          diags_->Error(e.loc,
                        std::string("'") + sql::BinaryOpText(op) + "' is not defined for " +
                            l->type.ToString() + " and " + r->type.ToString() + " ('" +
                            e.args[0]->ToSql() + "', '" + e.args[1]->ToSql() + "')",
                        hint);
          return nullptr;
        }
        auto b = Node(BoundExpr::Kind::kArith, *t, e);
        b->op = op;
        for (BoundExprPtr* side : {&l, &r}) {
          DataType st = (*side)->type;
          DataType want = *t;
          if (t->id == TypeId::kDecimal) {
            want = st.id == TypeId::kDecimal ? st : DataType::Decimal(18, 0);
          } else if (t->id == TypeId::kTimestamp ||
                     (t->id == TypeId::kBigint && st.id == TypeId::kTimestamp)) {
            want = st.id == TypeId::kTimestamp ? st : DataType::Bigint();
          }
          b->args.push_back(MakeCast(std::move(*side), want));
        }
        return b;
      }
      case Expr::Kind::kFunction:
        return BindFunction(e, scope);
      case Expr::Kind::kCase: {
        std::vector<BoundExprPtr> args;
        if (!BindArgs(e, scope, &args)) return nullptr;
        size_t i = 0;
        BoundExprPtr operand;
        if (e.has_operand) operand = std::move(args[i++]);
        size_t end = args.size() - (e.has_else ? 1 : 0);
        std::optional<DataType> result = DataType::Null();
        for (size_t k = i + 1; k < end; k += 2) {
          result = CommonType(*result, args[k]->type);
          if (!result) {
            diags_->Error(e.args[k]->loc,
                          "CASE branches have incompatible types: " + args[k]->type.ToString() +
                              " '" + e.args[k]->ToSql() + "' and an earlier branch");
            return nullptr;
          }
        }
        if (e.has_else) {
          result = CommonType(*result, args.back()->type);
          if (!result) {
            diags_->Error(e.args.back()->loc, "CASE ELSE has type " + args.back()->type.ToString() +
                                                  ", incompatible with the THEN branches");
            return nullptr;
          }
        }
        DataType rt = result->id == TypeId::kNull ? DataType::String() : *result;
        auto b = Node(BoundExpr::Kind::kCase, rt, e);
        for (size_t k = i; k + 1 < end + 1 && k < end; k += 2) {
          BoundExprPtr cond = std::move(args[k]);
          if (operand) {
            cond = BindComparison(BinaryOp::kEq, operand->Clone(), std::move(cond), *e.args[k],
                                  *e.args[0], *e.args[k]);
            if (!cond) return nullptr;
          } else if (cond->type.id != TypeId::kBool && cond->type.id != TypeId::kNull) {
            diags_->Error(e.args[k]->loc, "WHEN needs a BOOL condition, but '" +
                                              e.args[k]->ToSql() + "' is " + cond->type.ToString());
            return nullptr;
          }
          b->args.push_back(MakeCast(std::move(cond), DataType::Bool()));
          b->args.push_back(MakeCast(std::move(args[k + 1]), rt));
        }
        if (e.has_else) {
          b->has_else = true;
          b->args.push_back(MakeCast(std::move(args.back()), rt));
        }
        return b;
      }
      case Expr::Kind::kCast: {
        BoundExprPtr a = BindExpr(*e.args[0], scope);
        if (!a) return nullptr;
        if (!CanCast(a->type, e.cast_type)) {
          diags_->Error(
              e.loc, "cannot CAST " + a->type.ToString() + " to " + e.cast_type.ToString(), "", 4);
          return nullptr;
        }
        auto b = Node(BoundExpr::Kind::kCast, e.cast_type, e);
        b->args.push_back(std::move(a));
        return b;
      }
      case Expr::Kind::kIn: {
        std::vector<BoundExprPtr> args;
        if (!BindArgs(e, scope, &args)) return nullptr;
        std::optional<DataType> t = args[0]->type;
        for (size_t i = 1; i < args.size(); ++i) {
          std::optional<DataType> next = CommonType(*t, args[i]->type);
          if (!next) {
            diags_->Error(e.args[i]->loc, "cannot compare " + args[0]->type.ToString() + " " +
                                              Show(*e.args[0]) + " with " +
                                              args[i]->type.ToString() + " " + Show(*e.args[i]) +
                                              " in IN (...)");
            return nullptr;
          }
          t = next;
        }
        auto b = Node(BoundExpr::Kind::kIn, DataType::Bool(), e);
        b->negated = e.negated;
        for (auto& a : args) b->args.push_back(MakeCast(std::move(a), *t));
        return b;
      }
      case Expr::Kind::kBetween: {
        BoundExprPtr x = BindExpr(*e.args[0], scope);
        BoundExprPtr lo = BindExpr(*e.args[1], scope);
        BoundExprPtr hi = BindExpr(*e.args[2], scope);
        if (!x || !lo || !hi) return nullptr;
        BoundExprPtr ge =
            BindComparison(BinaryOp::kGe, x->Clone(), std::move(lo), e, *e.args[0], *e.args[1]);
        BoundExprPtr le =
            BindComparison(BinaryOp::kLe, std::move(x), std::move(hi), e, *e.args[0], *e.args[2]);
        if (!ge || !le) return nullptr;
        auto b = Node(BoundExpr::Kind::kAnd, DataType::Bool(), e);
        b->args.push_back(std::move(ge));
        b->args.push_back(std::move(le));
        if (!e.negated) return b;
        auto n = Node(BoundExpr::Kind::kNot, DataType::Bool(), e);
        n->args.push_back(std::move(b));
        return n;
      }
      case Expr::Kind::kLike: {
        std::vector<BoundExprPtr> args;
        if (!BindArgs(e, scope, &args)) return nullptr;
        for (size_t i = 0; i < 2; ++i) {
          if (args[i]->type.id != TypeId::kString && args[i]->type.id != TypeId::kNull) {
            diags_->Error(e.args[i]->loc,
                          "LIKE needs STRING operands, but '" + e.args[i]->ToSql() + "' is " +
                              args[i]->type.ToString(),
                          "CAST(" + e.args[i]->ToSql() + " AS STRING)");
            return nullptr;
          }
        }
        auto b = Node(BoundExpr::Kind::kLike, DataType::Bool(), e);
        b->negated = e.negated;
        for (auto& a : args) b->args.push_back(MakeCast(std::move(a), DataType::String()));
        return b;
      }
      case Expr::Kind::kIsNull: {
        BoundExprPtr a = BindExpr(*e.args[0], scope);
        if (!a) return nullptr;
        auto b = Node(BoundExpr::Kind::kIsNull, DataType::Bool(), e);
        b->negated = e.negated;
        b->args.push_back(std::move(a));
        return b;
      }
    }
    return nullptr;
  }

  bool RequireType(const Expr& call, const Expr& arg, const BoundExpr& b, bool ok,
                   const char* expected) {
    if (ok || b.type.id == TypeId::kNull) return true;
    diags_->Error(
        arg.loc,
        call.name + "() expects " + expected + ", but " + Show(arg) + " is " + b.type.ToString(),
        "", arg.length);
    return false;
  }

  BoundExprPtr BindFunction(const Expr& e, Scope& scope) {
    const FunctionInfo* f = FindFunction(e.name);
    if (!f) {
      diags_->Error(e.loc, "unknown function '" + e.name + "'",
                    sql::DidYouMean(e.name, kFunctionNames), e.length);
      return nullptr;
    }
    int n = static_cast<int>(e.args.size());
    bool star = n == 1 && e.args[0]->kind == Expr::Kind::kStar;
    if (f->fn == Fn::kCount && star) n = 0;
    if (n < f->min_args || (f->max_args >= 0 && n > f->max_args)) {
      std::string expect = f->min_args == f->max_args ? std::to_string(f->min_args)
                           : f->max_args < 0
                               ? "at least " + std::to_string(f->min_args)
                               : std::to_string(f->min_args) + " to " + std::to_string(f->max_args);
      diags_->Error(
          e.loc,
          e.name + "() takes " + expect + " argument(s), got " + std::to_string(e.args.size()), "",
          e.length);
      return nullptr;
    }
    if (f->aggregate) {
      if (!scope.allow_aggregates) {
        diags_->Error(e.loc, "aggregate " + e.name + "() is not allowed in " + scope.clause,
                      std::string(scope.clause) == "WHERE" ? "filter aggregates with HAVING" : "",
                      e.length);
        return nullptr;
      }
      Scope inner = scope;
      inner.allow_aggregates = false;
      inner.clause = "an aggregate's argument";
      std::vector<BoundExprPtr> args;
      if (!star && !BindArgs(e, inner, &args)) return nullptr;
      scope.saw_aggregate = true;
      DataType t;
      DataType at = args.empty() ? DataType::Null() : args[0]->type;
      switch (f->fn) {
        case Fn::kCount:
        case Fn::kDistinctCount:
          t = DataType::Bigint();
          break;
        case Fn::kSum:
        case Fn::kAvg:
        case Fn::kStddev:
          if (!RequireType(e, *e.args[0], *args[0], at.is_numeric(), "a number")) return nullptr;
          t = f->fn != Fn::kSum           ? DataType::Double()
              : at.is_integer()           ? DataType::Bigint()
              : at.id == TypeId::kDecimal ? DataType::Decimal(18, at.scale)
                                          : DataType::Double();
          break;
        default:
          t = at.id == TypeId::kNull ? DataType::String() : at;
      }
      auto b = Node(BoundExpr::Kind::kAggregate, t, e);
      b->fn = f->fn;
      b->distinct = e.distinct;
      for (auto& a : args) b->args.push_back(std::move(a));
      return b;
    }
    if (e.distinct) {
      diags_->Error(e.loc, "DISTINCT is for aggregates; " + e.name + "() is not one", "", e.length);
      return nullptr;
    }
    std::vector<BoundExprPtr> args;
    if (!BindArgs(e, scope, &args)) return nullptr;
    auto b = Node(BoundExpr::Kind::kFunction, DataType::Null(), e);
    b->fn = f->fn;
    auto is_string = [](const BoundExprPtr& a) { return a->type.id == TypeId::kString; };
    auto is_int = [](const BoundExprPtr& a) { return a->type.is_integer(); };
    auto is_num = [](const BoundExprPtr& a) { return a->type.is_numeric(); };
    switch (f->fn) {
      case Fn::kUpper:
      case Fn::kLower:
      case Fn::kTrim:
      case Fn::kLtrim:
      case Fn::kRtrim:
      case Fn::kReverse:
      case Fn::kLength:
        if (!RequireType(e, *e.args[0], *args[0], is_string(args[0]), "a STRING")) return nullptr;
        b->type = f->fn == Fn::kLength ? DataType::Int() : DataType::String();
        for (auto& a : args) a = MakeCast(std::move(a), DataType::String());
        break;
      case Fn::kConcat:
        b->type = DataType::String();
        for (auto& a : args) a = MakeCast(std::move(a), DataType::String());
        break;
      case Fn::kSubstr:
        if (!RequireType(e, *e.args[0], *args[0], is_string(args[0]), "a STRING")) return nullptr;
        for (size_t i = 1; i < args.size(); ++i)
          if (!RequireType(e, *e.args[i], *args[i], is_int(args[i]), "an integer position"))
            return nullptr;
        b->type = DataType::String();
        args[0] = MakeCast(std::move(args[0]), DataType::String());
        for (size_t i = 1; i < args.size(); ++i)
          args[i] = MakeCast(std::move(args[i]), DataType::Bigint());
        break;
      case Fn::kReplace:
      case Fn::kContains:
      case Fn::kStartsWith:
      case Fn::kEndsWith:
        for (size_t i = 0; i < args.size(); ++i)
          if (!RequireType(e, *e.args[i], *args[i], is_string(args[i]), "STRING arguments"))
            return nullptr;
        b->type = f->fn == Fn::kReplace ? DataType::String() : DataType::Bool();
        for (auto& a : args) a = MakeCast(std::move(a), DataType::String());
        break;
      case Fn::kAbs:
      case Fn::kCeil:
      case Fn::kFloor:
      case Fn::kRound:
      case Fn::kSign: {
        if (!RequireType(e, *e.args[0], *args[0], is_num(args[0]), "a number")) return nullptr;
        DataType t = args[0]->type.id == TypeId::kNull ? DataType::Double() : args[0]->type;
        if (f->fn == Fn::kSign) {
          b->type = DataType::Int();
        } else if (t.id == TypeId::kDecimal && args.size() == 1) {  // ceil, floor, round
          b->type = DataType::Decimal(18, 0);
        } else if (f->fn == Fn::kRound && args.size() == 2) {
          if (!RequireType(e, *e.args[1], *args[1], is_int(args[1]), "an integer number of digits"))
            return nullptr;
          if (!args[1]->IsConstant()) {
            diags_->Error(e.args[1]->loc, "round(x, digits) needs constant digits");
            return nullptr;
          }
          if (t.id == TypeId::kDecimal) {
            int64_t digits =
                args[1]->kind == BoundExpr::Kind::kLiteral && !args[1]->literal.is_null()
                    ? args[1]->literal.int_value()
                    : t.scale;
            b->type =
                DataType::Decimal(18, static_cast<int>(std::clamp<int64_t>(digits, 0, t.scale)));
          } else {
            b->type = DataType::Double();
          }
          args[1] = MakeCast(std::move(args[1]), DataType::Bigint());
          if (t.id != TypeId::kDecimal) t = DataType::Double();
        } else {
          b->type = t;
        }
        args[0] = MakeCast(std::move(args[0]), t);
        break;
      }
      case Fn::kSqrt:
      case Fn::kExp:
      case Fn::kLn:
      case Fn::kLog10:
      case Fn::kPow:
        for (size_t i = 0; i < args.size(); ++i)
          if (!RequireType(e, *e.args[i], *args[i], is_num(args[i]), "a number")) return nullptr;
        b->type = DataType::Double();
        for (auto& a : args) a = MakeCast(std::move(a), DataType::Double());
        break;
      case Fn::kMod: {
        std::optional<DataType> t = ArithmeticType(BinaryOp::kMod, args[0]->type, args[1]->type);
        if (!t || t->id == TypeId::kTimestamp) {
          diags_->Error(e.loc, "mod() needs numbers, got " + args[0]->type.ToString() + " and " +
                                   args[1]->type.ToString());
          return nullptr;
        }
        // mod(a, b) is a % b.
        auto m = Node(BoundExpr::Kind::kArith, *t, e);
        m->op = BinaryOp::kMod;
        for (auto& a : args) {
          DataType want =
              t->id == TypeId::kDecimal
                  ? (a->type.id == TypeId::kDecimal ? a->type : DataType::Decimal(18, 0))
                  : *t;
          m->args.push_back(MakeCast(std::move(a), want));
        }
        return m;
      }
      case Fn::kGreatest:
      case Fn::kLeast:
      case Fn::kCoalesce:
      case Fn::kNullif: {
        std::optional<DataType> t = args[0]->type;
        for (size_t i = 1; i < args.size(); ++i) {
          t = CommonType(*t, args[i]->type);
          if (!t) {
            diags_->Error(e.args[i]->loc, e.name + "() arguments have incompatible types: " +
                                              args[0]->type.ToString() + " and " +
                                              args[i]->type.ToString());
            return nullptr;
          }
        }
        if (t->id == TypeId::kNull) t = DataType::String();
        b->type = *t;
        for (auto& a : args) a = MakeCast(std::move(a), *t);
        break;
      }
      case Fn::kCurrentTimeMillis:
      case Fn::kEventTimestamp:
        b->type = DataType::Bigint();
        break;
      case Fn::kFormatTimestamp:
        if (!RequireType(e, *e.args[0], *args[0],
                         args[0]->type.is_integer() || args[0]->type.id == TypeId::kTimestamp,
                         "a TIMESTAMP or BIGINT milliseconds"))
          return nullptr;
        b->type = DataType::String();
        args[0] = MakeCast(std::move(args[0]), DataType::Bigint());
        break;
      case Fn::kParseTimestamp:
        for (size_t i = 0; i < args.size(); ++i)
          if (!RequireType(e, *e.args[i], *args[i], is_string(args[i]), "STRING arguments"))
            return nullptr;
        if (args.size() == 2 && !args[1]->IsConstant()) {
          diags_->Error(e.args[1]->loc, "parseTimestamp(text, pattern) needs a constant pattern");
          return nullptr;
        }
        b->type = DataType::Timestamp();
        for (auto& a : args) a = MakeCast(std::move(a), DataType::String());
        break;
      default:
        break;
    }
    b->args = std::move(args);
    return b;
  }

  // ---- whole-app checks ------------------------------------------------------------------------
  void CheckCycles() {
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

  std::string_view source_;
  Diagnostics* diags_;
  std::set<std::string> counted_aliases_;  // pattern elements that collect several events
  std::map<std::string, int> ids_seen_;    // stable ids given so far (StableId)
  std::unique_ptr<AppPlan> plan_;
};

}  // namespace

std::unique_ptr<AppPlan> BindApp(const sql::AppAst& ast, std::string_view source,
                                 sql::Diagnostics* diags) {
  return Binder(source, diags).Run(ast);
}

}  // namespace sluice::plan
