// The binder's parts, shared by the files of plan/ that bind each construct: binder.cc (the
// driver: statements, streams, ids, cycles), bind_query.cc (a query: its inputs, join, grouping,
// outputs, table writes), bind_window.cc, bind_pattern.cc, bind_expr.cc (names and operators) and
// bind_function.cc (the function table). Internal to plan/; BindApp (plan.h) is the entry point.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.h"
#include "sql/ast.h"
#include "sql/diagnostics.h"

namespace sluice::plan::binding {

using sql::BinaryOp;
using sql::Diagnostics;
using sql::Expr;
using sql::Loc;

struct FunctionInfo {
  const char* name;  // as users spell it; matched without regard to case
  Fn fn;
  int min_args;
  int max_args;  // -1: any number
  bool aggregate;
};

const FunctionInfo* FindFunction(const std::string& name);
// Whether an expression (as written) calls an aggregate function.
bool AstHasAggregate(const sql::Expr& e);
// Every function's name as users spell it (for suggestions).
const std::vector<std::string>& FunctionNames();
extern const std::vector<std::string> kWindowKinds;

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

// The syntax tree's clause enums in the plan's vocabulary: the same cases, in the same order.
inline JoinType ToPlan(sql::JoinType v) { return static_cast<JoinType>(v); }
inline TableWriteKind ToPlan(sql::OutputClause::Kind v) { return static_cast<TableWriteKind>(v); }
inline EmitMode ToPlan(sql::EmitMode v) { return static_cast<EmitMode>(v); }
inline OutputEvents ToPlan(sql::OutputEvents v) { return static_cast<OutputEvents>(v); }
inline RateKind ToPlan(sql::OutputRate::Kind v) { return static_cast<RateKind>(v); }
static_assert(static_cast<int>(sql::JoinType::kFullOuter) ==
              static_cast<int>(JoinType::kFullOuter));
static_assert(static_cast<int>(sql::OutputClause::Kind::kUpsert) ==
              static_cast<int>(TableWriteKind::kUpsert));
static_assert(static_cast<int>(sql::EmitMode::kFinal) == static_cast<int>(EmitMode::kFinal));
static_assert(static_cast<int>(sql::OutputEvents::kAll) == static_cast<int>(OutputEvents::kAll));
static_assert(static_cast<int>(sql::OutputRate::Kind::kSnapshot) ==
              static_cast<int>(RateKind::kSnapshot));

BoundExprPtr MakeCast(BoundExprPtr e, DataType to);
BoundExprPtr MakeLiteral(Value v, DataType t, Loc loc);
// An expression in a message: quoted unless it is a string literal (which has its own quotes).
std::string Show(const Expr& e);
// A fractional literal next to a DECIMAL is exact, as in SQL: `price - 0.01` stays DECIMAL.
void MakeLiteralExact(BoundExprPtr& lit, const BoundExpr& other);

class Binder {
 public:
  Binder(std::string_view source, Diagnostics* diags) : source_(source), diags_(diags) {}

  std::unique_ptr<AppPlan> Run(const sql::AppAst& ast);

 private:
  // ---- definitions -----------------------------------------------------------------------------
  bool CheckNameFree(const std::string& name, Loc loc);

  StreamDef* DefineStream(const sql::CreateStmt& c,
                          const std::vector<sql::Annotation>& annotations);

  StreamDef* FinishDefinition(std::unique_ptr<StreamDef> def,
                              const std::vector<sql::Annotation>& annotations,
                              const std::vector<sql::Property>& with);

  void AddFaultStream(StreamDef* p);

  // ---- statements ------------------------------------------------------------------------------
  static void CollectPatternStreams(const sql::PatternNode& n, std::vector<std::string>* out);

  static std::vector<std::string> InputNames(const sql::Query& q);

  bool InputsDefined(const sql::Statement& st);

  void BindStatement(const sql::Statement& st, int number);

  // What identifies a query across edits of the app (its state is found by it): its given name,
  // else the stream a CSAS / CTAS defines, else a fingerprint of its text with whitespace
  // normalised. Never its position. Made unique by a suffix when two would be equal.
  std::string StableId(const QueryPlan& qp, const sql::Statement& st, bool named);

  std::string StatementText(Loc loc) const;

  void NotSupported(Loc loc, const std::string& construct, int length = 1);

  // Resolves one stream of FROM; null (with an error) when it is unknown.
  const StreamDef* ResolveStream(const sql::StreamRef& ref, bool allow_table);

  std::string StreamSuggestion(const std::string& name) const;

  // Returns false when the query uses a construct that this version does not execute.
  bool BindQuery(const sql::Query& q, const sql::CreateStmt* create,
                 const std::vector<sql::Annotation>& create_annotations, QueryPlan* qp);

  // A query's rows into a table: INSERT INTO, UPDATE, DELETE, UPDATE OR INSERT INTO.
  template <typename Items>
  bool PlanTableWrite(const sql::OutputClause& out, const StreamDef* table, Items* items,
                      const Scope& query_scope, QueryPlan* qp);

  template <typename Items>
  void MapOutputs(Items* items, const StreamDef* target, Loc loc, QueryPlan* qp);

  // ---- windows, patterns -----------------------------------------------------------------------
  // Moves every aggregate of `e` into `aggs` (once per distinct aggregate) and puts a column
  // reference in its place: base + its index.
  static void ExtractAggregates(BoundExprPtr& e, int base, std::vector<AggregatePlan>* aggs);

  // The window of a query over one stream, or nullopt (with an error) when it is invalid or not
  // executed by this version.
  std::optional<WindowPlan> BuildWindow(const sql::WindowSpec& w, const StreamDef* def);

  // Validates a window's kind and arguments; false when it reported an error.
  bool CheckWindow(const sql::WindowSpec& w, const StreamDef* def);

  void CheckDuration(const Expr& e, const std::string& where);

  void CheckCount(const Expr& e, const std::string& where);

  // The pattern as steps in order, or nullopt (reported) when it uses a form this version does
  // not run. `scope` has an input per element, in the order they are written.
  std::optional<PatternPlan> PlanPattern(const sql::PatternSpec& spec, const Scope& scope,
                                         std::map<const sql::PatternNode*, BoundExprPtr>* filters);

  // Splits `where` into its AND-ed conjuncts and adds each to the first step by which every
  // column it reads is bound.
  static void PushDownToSteps(BoundExprPtr where, PatternPlan* plan);

  static void AndInto(BoundExprPtr* target, BoundExprPtr c);

  void BindPatternScope(const sql::PatternNode& n, Scope* scope);

  void BindPatternFilters(const sql::PatternNode& n, const Scope& scope,
                          std::map<const sql::PatternNode*, BoundExprPtr>* bound);

  // ---- expressions -----------------------------------------------------------------------------
  static bool ContainsAggregate(const BoundExpr& e);
  static Loc FirstAggregateLoc(const BoundExpr& e);

  BoundExprPtr BindCondition(const Expr& e, Scope& scope, const char* clause);

  // window_start / window_end (TIMESTAMP) of the window that produced an aggregate row
  // (DIALECT.md "Windows"). A row of a window that closes carries the close time, so the end is
  // the row's time; per event (EMIT CHANGES) a tumbling window's bounds follow from the event's
  // time, a session's from its events so far.
  BoundExprPtr WindowBound(const Expr& e, Scope& scope);

  BoundExprPtr ResolveColumn(const Expr& e, Scope& scope);

  BoundExprPtr BindExpr(const Expr& e, Scope& scope);

  BoundExprPtr Node(BoundExpr::Kind kind, DataType type, const Expr& e);

  // Binds all args; null when one failed.
  bool BindArgs(const Expr& e, Scope& scope, std::vector<BoundExprPtr>* out, size_t from = 0);

  BoundExprPtr BindComparison(BinaryOp op, BoundExprPtr l, BoundExprPtr r, const Expr& e,
                              const Expr& le, const Expr& re);

  BoundExprPtr BindExprInner(const Expr& e, Scope& scope);

  bool RequireType(const Expr& call, const Expr& arg, const BoundExpr& b, bool ok,
                   const char* expected);

  BoundExprPtr BindFunction(const Expr& e, Scope& scope);

  // ---- metrics (bind_metric.cc) ----------------------------------------------------------------
  // The -- @metric comments above a query, checked against its output row.
  void BindMetrics(const std::vector<sql::MetricComment>& comments, QueryPlan* qp);

  // ---- whole-app checks ------------------------------------------------------------------------
  void CheckCycles();
  void PropagateEventTime();

  std::string_view source_;
  Diagnostics* diags_;
  std::set<std::string> counted_aliases_;    // pattern elements that collect several events
  std::map<std::string, int> ids_seen_;      // stable ids given so far (StableId)
  std::map<std::string, Loc> metric_names_;  // metrics declared so far, where
  std::unique_ptr<AppPlan> plan_;
};

}  // namespace sluice::plan::binding
