// The plan of an app: its catalog and, per query, what the executor runs. Built by BindApp from the
// syntax tree; immutable afterwards. Explain() renders it for `sluice explain`.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plan/bound_expr.h"
#include "plan/catalog.h"
#include "plan/options.h"
#include "sql/ast.h"
#include "sql/diagnostics.h"

namespace sluice::plan {

// The plan's own vocabulary for what the clauses of a query say (the parser's sql:: enums stay in
// the syntax tree; BindApp translates).
enum class JoinType { kInner, kLeftOuter, kRightOuter, kFullOuter };
enum class TableWriteKind { kInsert, kUpdate, kDelete, kUpsert };  // INSERT, UPDATE, DELETE, UPSERT
enum class EmitMode { kDefault, kChanges, kFinal };                // EMIT CHANGES / EMIT FINAL
enum class OutputEvents { kCurrent, kExpired, kAll };              // INSERT [EXPIRED|ALL] EVENTS
enum class RateKind { kAll, kFirst, kLast, kSnapshot };            // OUTPUT ... EVERY

struct OutputColumn {
  std::string name;   // the target attribute
  BoundExprPtr expr;  // already converted to the target attribute's type
};

struct AggregatePlan {
  Fn fn = Fn::kCount;
  bool distinct = false;
  BoundExprPtr arg;  // null for count()
  DataType type;     // the result
  std::string text;
};

// A window after the input stream (DIALECT.md "Windows"). Times are milliseconds.
struct WindowPlan {
  enum class Kind {
    kLength,
    kLengthBatch,
    kTime,
    kTimeBatch,
    kTimeLength,
    kExternalTime,
    kExternalTimeBatch,
    kSliding,
    kSession,
    kSort,
    kUnique,
    kFirstUnique,
    kDelay,
    kFrequent,
    kLossyFrequent,
    kExpression,
  };
  Kind kind = Kind::kLength;
  std::string sql;       // as written, for explain and messages
  int64_t length = 0;    // events: length, lengthBatch, timeLength, sort
  int64_t time_ms = 0;   // time, timeBatch, timeLength, externalTime*, session gap, delay, size
  int64_t slide_ms = 0;  // sliding
  int64_t start_ms = 0;  // timeBatch / externalTimeBatch start, when has_start
  bool has_start = false;
  int time_column = -1;  // externalTime*: the attribute that gives time
  int key_column = -1;   // session key, unique / firstUnique key, sort attribute
  // SESSION(gap) (the SQL form) in a query with GROUP BY: a session per group (Flink, ksqlDB); the
  // Siddhi form WINDOW('session', gap) keeps one session unless it names a key.
  bool session_per_group = false;
  bool descending = false;        // sort
  std::vector<int> key_columns;   // frequent / lossyFrequent: the key (empty: every attribute)
  double support = 0, error = 0;  // lossyFrequent
  // expression: the condition over the window (its aggregates are columns after the stream's
  // attributes), checked after each arrival; the oldest events expire until it holds.
  std::unique_ptr<BoundExpr> condition;
  std::vector<AggregatePlan> condition_aggregates;
  bool IsBatch() const {
    return kind == Kind::kLengthBatch || kind == Kind::kTimeBatch ||
           kind == Kind::kExternalTimeBatch || kind == Kind::kSliding;
  }
  // Events leave the window in the order they came (so min/max can use a monotonic deque).
  bool FifoExpiry() const {
    return kind != Kind::kSort && kind != Kind::kUnique && kind != Kind::kFirstUnique &&
           kind != Kind::kSession && kind != Kind::kFrequent && kind != Kind::kLossyFrequent;
  }
};

// OUTPUT [ALL|FIRST|LAST|SNAPSHOT] EVERY (n EVENTS | duration).
struct RatePlan {
  RateKind kind = RateKind::kAll;
  bool by_events = false;
  int64_t events = 0;
  int64_t period_ms = 0;
};

// A join of two streams (DIALECT.md "Joins"). Each side keeps what its window holds; an arrival on
// a side (each side, or only the unidirectional one) probes what the other side holds. A joined
// row has the left side's attributes followed by the right side's.
struct JoinSidePlan {
  const StreamDef* stream = nullptr;
  std::optional<WindowPlan> window;  // none: the side keeps nothing
  BoundExprPtr filter;               // Side[condition], over the side's attributes
  bool triggers = true;              // its arrivals probe the other side (UNIDIRECTIONAL)
  bool outer = false;                // its arrivals with no match give a row with NULLs
};

// What a stream-table join does with an arrival that finds no row in the table,
// @join(missing=...): the seed's degradation strategies, for a table still loading or a key it
// lacks. kAsJoin: as the join says (an inner join emits nothing, an outer one NULLs).
enum class MissingRow { kAsJoin, kSkip, kNulls, kDefaults, kRetry, kFail };
struct MissingRowPlan {
  MissingRow action = MissingRow::kAsJoin;
  // kDefaults: the table's attributes (by index) and their values as text, checked to convert;
  // the others are NULL.
  std::vector<std::pair<int, std::string>> defaults;
  // kRetry: the arrival waits, and the lookup is tried again every `delay_ms`, `retries` times;
  // then it is answered as the join says.
  int64_t retries = 3;
  int64_t delay_ms = 100;
};

struct JoinPlan {
  JoinType type = JoinType::kInner;
  JoinSidePlan left, right;
  MissingRowPlan missing;
  BoundExprPtr on;  // over the joined row; null for a cross join
  // The joined row as a stream: the input of the rest of the query (WHERE, SELECT, ...).
  std::unique_ptr<StreamDef> joined;
};

// A pattern (DIALECT.md "Patterns and sequences"): steps matched in order, gaps allowed. A matched
// row has one group of columns per element, in the order the elements are written (an element
// not bound yet, or a NOT element, is NULL there).
struct PatternStepPlan {
  const StreamDef* stream = nullptr;
  std::string alias;
  int first_column = 0;  // of its group in the matched row (its first event, e[0])
  int event_column = 0;  // where an arriving event goes: e[last] of a counted element, else e
  int min_count = 1, max_count = 1;  // events it takes: {n,m}, +, *, ?; max -1: no limit
  bool absent = false;  // NOT Stream[...] FOR for_ms: matched when no such event comes in time
  std::vector<int> partition_columns;  // PARTITION BY: the key's attributes in this stream
  // AND / OR: this step and the next form one (both in any order / either). Conditions between
  // the two are checked when the second of them comes.
  enum class Joint { kNone, kAnd, kOr };
  Joint joint = Joint::kNone;
  BoundExprPtr joint_condition;
  int64_t for_ms = 0;
  // The element's filter AND the WHERE conjuncts whose aliases are all bound here; it reads the
  // matched row with the arriving event in this element's columns. Null: any event.
  BoundExprPtr condition;
};

struct PatternPlan {
  // None: the pattern matches once. First: EVERY on the first element starts a match at each of
  // its events. Group: EVERY around the whole pattern starts again when a match completes or
  // expires, ignoring other events meanwhile (Siddhi's `every (a -> b)`).
  enum class Every { kNone, kFirst, kGroup };
  Every every = Every::kNone;
  // SEQUENCE: strict; an event of the pattern's streams that a partial match cannot take ends it.
  bool sequence = false;
  int64_t within_ms = -1;  // first to last event; -1: unbounded
  std::vector<PatternStepPlan> steps;
  std::unique_ptr<StreamDef> matched;  // the matched row as a stream: the rest of the query's input
};

// A query's rows written into a table (DIALECT.md "Queries", table writes). `on` and the SET
// values read a row that has the query's output attributes first, then the table's columns. For
// INSERT and UPDATE OR INSERT the output row has the table's columns (mapped like INSERT INTO).
struct TableWritePlan {
  TableWriteKind kind = TableWriteKind::kInsert;
  const StreamDef* table = nullptr;
  BoundExprPtr on;  // null for INSERT INTO, and for CTAS (rows match by `key`)
  std::vector<std::pair<int, BoundExprPtr>> sets;  // table column <- value
  // Output attributes equal to the table's primary key, in key order, when ON says so (or a
  // CTAS's GROUP BY): then a row's match is found by key, not by a scan.
  std::vector<int> key_from;
  std::unique_ptr<StreamDef> output;  // the query's output row
};

struct OrderPlan {
  BoundExprPtr expr;  // over the output row (input attributes + aggregates)
  bool descending = false;
};

// A continuous query over one stream: filter, then (optionally) a window, grouping and
// aggregation, then projection into a target stream.
//
enum class MetricType { kCounter, kGauge, kHistogram };

// A Prometheus metric that the rows a query inserts feed (`-- @metric` comments above it). Its
// columns are those of the query's output row (QueryPlan::OutputSchema()).
struct MetricPlan {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<int> labels;  // output columns whose values label a series
  std::vector<std::string> label_names;
  BoundExprPtr condition;  // which rows count; null: every row
  int field = -1;          // the value (a gauge's, a histogram's, a counter's increment); -1: 1
  std::vector<double> buckets;  // a histogram's upper bounds, ascending
  int max_series = 1000;        // label combinations kept; rows of more are counted as dropped
};

// Expressions of the projection, HAVING and ORDER BY read a row whose first columns are the input
// stream's attributes (of the event that triggered the output) followed by one column per
// aggregate in `aggregates`.
struct QueryPlan {
  std::string name;  // for people: @name / @info(name=...), else "query<N>"
  // For the engine: what its state is kept under, the same after edits of other queries (see
  // the binder's StableId).
  std::string id;
  sql::Loc loc;
  std::string sql;  // the statement's source text
  const StreamDef* input = nullptr;
  BoundExprPtr filter;  // the stream filter S[...] AND WHERE; null when there is none
  std::vector<OutputColumn> outputs;
  const StreamDef* target = nullptr;
  bool by_name = false;  // select names matched the target's attribute names
  // What a failing event does: the query's own @onError, else its input stream's.
  ErrorAction on_error = ErrorAction::kDefault;

  std::optional<WindowPlan> window;
  std::optional<JoinPlan> join;               // then `input` is join->joined
  std::optional<PatternPlan> pattern;         // then `input` is pattern->matched
  std::optional<TableWritePlan> table_write;  // then `target` is table_write->output
  std::vector<BoundExprPtr> group_by;         // over the input attributes
  std::vector<AggregatePlan> aggregates;
  BoundExprPtr having;
  std::vector<OrderPlan> order_by;
  int64_t limit = -1;  // -1: none
  int64_t offset = 0;
  EmitMode emit = EmitMode::kDefault;
  OutputEvents events = OutputEvents::kCurrent;
  std::optional<RatePlan> rate;
  bool distinct = false;            // SELECT DISTINCT: a row goes out only the first time
  StateLimits state;                // @state(...), else the app's SET 'state.*'
  std::vector<MetricPlan> metrics;  // -- @metric comments

  // Stateful: a window, an aggregate, or grouping.
  bool IsStateful() const { return window || !aggregates.empty() || !group_by.empty(); }
  // Needs the stateful operator (anything beyond filter and projection).
  bool NeedsState() const {
    return IsStateful() || having || !order_by.empty() || limit >= 0 || offset > 0 || rate ||
           events != OutputEvents::kCurrent;
  }
  // What the query's state depends on, a line per thing: the schemas it reads, its window, join,
  // pattern, aggregates and GROUP BY, and the rows DISTINCT or an output rate keep. Saved with
  // the state, so that a restore into an edited query whose state no longer fits is refused with
  // what changed, while an edit of its filter or projection keeps the state.
  std::string StateShape() const;
  // The plan in words, a line per step ("query Name (line 3): ...", "  Scan S", "  Filter ...").
  std::string Explain() const;
  // The rows the query inserts: its target's, or for a table write its output row's.
  const Schema& OutputSchema() const {
    return table_write ? table_write->output->schema : target->schema;
  }
  // Whether results come when a window closes (one row per group) rather than per event.
  // The streams the query reads: its input, or a join's two sides.
  std::vector<const StreamDef*> Sources() const {
    if (join) return {join->left.stream, join->right.stream};
    if (pattern) {
      std::vector<const StreamDef*> streams;
      for (const PatternStepPlan& step : pattern->steps)
        if (std::find(streams.begin(), streams.end(), step.stream) == streams.end())
          streams.push_back(step.stream);
      return streams;
    }
    return {input};
  }
  bool EmitsOnClose() const {
    if (emit == EmitMode::kChanges) return false;
    if (emit == EmitMode::kFinal) return true;
    return window && window->IsBatch();
  }
};

struct AppPlan {
  AppSettings settings;
  Catalog catalog;
  std::vector<QueryPlan> queries;

  std::string Explain() const;
};

// Warns about streams that INSERT INTO defined (no CREATE) and that nothing reads: no query and no
// sink. Usually a misspelt target; an embedding app may still observe it with AddCallback, so
// `check` reports it and the runtime does not.
void WarnUnreadOutputs(const AppPlan& plan, sql::Diagnostics* diags);

// Warns about queries whose state can grow without bound (DISTINCT, GROUP BY without a window,
// pattern PARTITION BY, EVERY without WITHIN) when they set no state TTL or key limit.
void WarnUnboundedState(const AppPlan& plan, sql::Diagnostics* diags);

// Resolves names and types, validates options and plans every query of `ast`. Every problem goes
// to `diags`; the plan is usable only when diags has no errors. `source` is the app's text.
std::unique_ptr<AppPlan> BindApp(const sql::AppAst& ast, std::string_view source,
                                 sql::Diagnostics* diags);

// The AND-ed conjuncts of `cond` of the form `x = y` where x and y are columns of one type, x in
// [lo, hi) and y outside it: as (x, y) pairs. Joins and patterns check them in place, before
// building a row for the whole condition; a lookup by key needs them to cover the key.
std::vector<std::pair<int, int>> EqualityPairs(const BoundExpr& cond, int lo, int hi);

}  // namespace sluice::plan
