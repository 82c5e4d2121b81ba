// The syntax tree of an app: what the parser produces for every construct of DIALECT.md, before
// names or types are resolved. Every node keeps its source location for diagnostics.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/types.h"
#include "sql/diagnostics.h"

namespace sluice::sql {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kEq,
  kNotEq,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kConcat,  // ||
};
enum class UnaryOp { kNeg, kNot };

const char* BinaryOpText(BinaryOp op);

struct Expr {
  enum class Kind {
    kLiteral,   // literal; is_duration for "5 SECONDS" (value in ms, BIGINT)
    kColumn,    // [qualifier.]name, with an optional pattern index qualifier[index]
    kStar,      // * or qualifier.* (select list, count(*))
    kUnary,     // unary_op args[0]
    kBinary,    // args[0] binary_op args[1]; AND and OR take two or more args (a flat chain)
    kFunction,  // name(args); distinct for count(DISTINCT x)
    kCase,      // CASE [operand] WHEN.. THEN.. [ELSE]: args = [operand?] (when, then)* [else?]
    kCast,      // CAST(args[0] AS cast_type)
    kIn,        // args[0] [NOT] IN (args[1..])
    kBetween,   // args[0] [NOT] BETWEEN args[1] AND args[2]
    kLike,      // args[0] [NOT] LIKE args[1]
    kIsNull,    // args[0] IS [NOT] NULL
  };
  Kind kind;
  Loc loc;
  int length = 1;  // source characters, for carets

  Value literal;
  bool is_duration = false;

  std::string qualifier;  // stream, alias or pattern alias; empty when unqualified
  std::string name;       // column or function name; a duration literal as written ("5 SECONDS")
  // Pattern event index: e1[0].price, e1[last].price; index_last means `last` (minus index_offset).
  std::optional<int> index;
  bool index_last = false;

  BinaryOp binary_op = BinaryOp::kAdd;
  UnaryOp unary_op = UnaryOp::kNeg;
  bool negated = false;   // NOT IN / NOT BETWEEN / NOT LIKE / IS NOT NULL
  bool distinct = false;  // aggregate(DISTINCT x)
  bool try_cast = false;  // TRY_CAST: a value that does not convert is NULL, not an error
  bool has_operand = false, has_else = false;  // CASE
  DataType cast_type;

  std::vector<ExprPtr> args;

  Expr(Kind k, Loc l) : kind(k), loc(l) {}
  // The expression as SQL text (normalised), for explain and for default output names.
  std::string ToSql() const;
};

// @name(key='value', ...) or @name('value'); @app:async('true') has name "app:async".
struct AnnotationOption {
  std::string key;  // empty for a positional value
  std::string value;
  Loc loc;
};
struct Annotation {
  std::string name;
  Loc loc;
  std::vector<AnnotationOption> options;
};

// One 'key' = 'value' entry of a WITH (...) list.
struct Property {
  std::string key;
  std::string value;
  Loc loc;
  Loc value_loc;
};

struct ColumnDef {
  std::string name;
  DataType type;
  bool primary_key = false;
  Loc loc;
};

// WINDOW('length', 10), WINDOW TUMBLING(5 SECONDS), WINDOW SLIDING(1 MINUTE, 10 SECONDS), ...
struct WindowSpec {
  std::string
      kind;  // 'length', 'time', ..., and "tumbling", "sliding", "session" for the keyword forms
  bool keyword_form = false;
  Loc loc;
  int length = 1;
  std::vector<ExprPtr> args;
  std::string ToSql() const;
};

// A stream (or table) in FROM: Name [!fault] [[filter]] [WINDOW ...] [AS alias] [UNIDIRECTIONAL].
struct StreamRef {
  std::string name;
  bool fault = false;  // !Name
  Loc loc;
  std::string alias;
  ExprPtr filter;  // Name[condition]
  std::optional<WindowSpec> window;
  bool unidirectional = false;
};

enum class JoinType { kInner, kLeftOuter, kRightOuter, kFullOuter };

struct JoinSpec {
  JoinType type = JoinType::kInner;
  Loc loc;
  StreamRef left, right;
  ExprPtr on;  // null for a cross join
};

// A node of a PATTERN or SEQUENCE.
struct PatternNode {
  enum class Kind {
    kElement,     // [alias=]Stream[filter]{min,max}
    kFollowedBy,  // children in order ('->', or ',' in a sequence)
    kAnd,         // children both, any order
    kOr,          // either child
    kNot,         // NOT Stream[filter] [FOR duration]: children empty, element fields used
    kEvery,       // EVERY children[0]
  };
  Kind kind = Kind::kElement;
  Loc loc;
  std::string alias;
  std::string stream;
  Loc stream_loc;
  ExprPtr filter;
  int min_count = 1, max_count = 1;  // max -1 = unbounded; {n}, {n,m}, {n,}, +, *, ?
  ExprPtr for_duration;              // NOT ... FOR
  ExprPtr within;                    // WITHIN on a parenthesised group
  std::vector<std::unique_ptr<PatternNode>> children;
};

struct PatternSpec {
  bool is_sequence = false;
  Loc loc;
  std::unique_ptr<PatternNode> root;
  ExprPtr within;
};

struct FromClause {
  enum class Kind { kStream, kJoin, kPattern };
  Kind kind = Kind::kStream;
  Loc loc;
  StreamRef stream;
  std::unique_ptr<JoinSpec> join;
  std::unique_ptr<PatternSpec> pattern;
  std::vector<ExprPtr> partition_by;
};

struct SelectItem {
  ExprPtr expr;  // kStar for * and alias.*
  std::string alias;
  Loc loc;
};

struct OrderItem {
  ExprPtr expr;
  bool descending = false;
};

enum class OutputEvents { kCurrent, kExpired, kAll };

// Where a query's rows go: INSERT INTO, or a table write.
struct OutputClause {
  enum class Kind { kInsert, kUpdate, kDelete, kUpsert };
  Kind kind = Kind::kInsert;
  OutputEvents events = OutputEvents::kCurrent;
  std::string target;
  Loc loc;
  Loc target_loc;  // of the target's name (INSERT INTO clauses)
  struct Set {
    std::string column;  // without the table qualifier
    Loc loc;
    ExprPtr value;
  };
  std::vector<Set> sets;
  ExprPtr on;
};

enum class EmitMode { kDefault, kChanges, kFinal };

// OUTPUT [ALL|FIRST|LAST|SNAPSHOT] EVERY (n EVENTS | duration)
struct OutputRate {
  enum class Kind { kAll, kFirst, kLast, kSnapshot };
  Kind kind = Kind::kAll;
  Loc loc;
  bool by_events = false;
  int64_t events = 0;
  ExprPtr duration;
};

struct Query {
  Loc loc;
  std::vector<Annotation> annotations;
  bool distinct = false;
  std::vector<SelectItem> select;
  FromClause from;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<OrderItem> order_by;
  ExprPtr limit, offset;
  EmitMode emit = EmitMode::kDefault;
  Loc emit_loc;
  std::optional<OutputRate> rate;
  std::optional<OutputClause> output;
};

struct CreateStmt {
  bool is_table = false;
  std::string name;
  Loc loc;
  Loc name_loc;
  std::vector<ColumnDef> columns;
  std::unique_ptr<Query> as_query;  // CSAS / CTAS
  std::vector<Property> with;
};

// A `-- @metric...: value` comment line right above a statement (the seed's FR-073 form): a
// Prometheus metric fed by the rows the statement's query inserts.
struct MetricComment {
  std::string key;    // after the '@': "metric", "metric_type", "metric_labels", ...
  std::string value;  // after the ':', trimmed
  Loc loc;            // of the '@'
  Loc value_loc;      // of the value's first character
};

struct Statement {
  enum class Kind { kCreate, kQuery };
  Kind kind = Kind::kQuery;
  Loc loc;
  std::vector<Annotation> annotations;
  std::unique_ptr<CreateStmt> create;
  std::unique_ptr<Query> query;
  std::vector<MetricComment> metric_comments;
};

struct AppAst {
  std::vector<Annotation> app_annotations;  // @app(...) and @app:key(...)
  std::vector<Property> settings;           // SET 'name' = 'value';
  std::vector<Statement> statements;
};

}  // namespace sluice::sql
