// Expressions after binding: every name resolved to a column of the query's input row, every
// type known, and implicit conversions made explicit as kCast nodes. The executor compiles these
// once per query into vectorised evaluators (exec/expression.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sluice/types.h"
#include "sql/ast.h"

namespace sluice::plan {

// Scalar and aggregate functions of the dialect.
enum class Fn {
  kUpper,
  kLower,
  kConcat,
  kConcatStrict,  // a || b: NULL when an operand is
  kLength,
  kSubstr,
  kTrim,
  kLtrim,
  kRtrim,
  kReplace,
  kReverse,
  kContains,
  kStartsWith,
  kEndsWith,
  kAbs,
  kRound,
  kCeil,
  kFloor,
  kSqrt,
  kPow,
  kExp,
  kLn,
  kLog10,
  kSign,
  kMod,
  kGreatest,
  kLeast,
  kCoalesce,
  kNullif,
  kCurrentTimeMillis,
  kNow,  // now(), CURRENT_TIMESTAMP: the clock as a TIMESTAMP
  kEventTimestamp,
  kFormatTimestamp,
  kParseTimestamp,
  kSplitIndex,
  kRegexpExtract,
  kRegexpReplace,
  kMd5,
  kSha256,
  kUuid,
  // Aggregates.
  kCount,
  kSum,
  kAvg,
  kMin,
  kMax,
  kStddev,
  kDistinctCount,
  kFirst,
  kLast,
  kMinForever,
  kMaxForever,
};

// Whether a call of `fn` reads the clock (event time in playback, wall time live).
inline bool ReadsClock(Fn fn) { return fn == Fn::kCurrentTimeMillis || fn == Fn::kNow; }
// Whether two calls with the same arguments may differ: never folded into a constant.
inline bool IsVolatile(Fn fn) {
  return ReadsClock(fn) || fn == Fn::kEventTimestamp || fn == Fn::kUuid;
}

struct BoundExpr {
  enum class Kind {
    kLiteral,
    kColumn,   // column of the input row
    kNeg,      // -args[0]
    kNot,      // NOT args[0]
    kArith,    // args[0] op args[1], both of the result type (DECIMAL: scales may differ)
    kCompare,  // args[0] op args[1], both of one type
    kAnd,      // args[0] AND args[1] AND ...: two or more
    kOr,
    kFunction,  // fn(args)
    kCase,      // (when, then)* [else]
    kCast,      // args[0] to `type`
    kIn,        // args[0] IN (args[1..]), all of one type
    kLike,      // args[0] LIKE args[1]
    kIsNull,    // args[0] IS NULL
    kAggregate,
  };
  Kind kind = Kind::kLiteral;
  DataType type;
  sql::Loc loc;
  Value literal;
  int column = -1;
  sql::BinaryOp op = sql::BinaryOp::kAdd;
  Fn fn = Fn::kUpper;
  bool negated = false;   // kIn, kLike, kIsNull
  bool has_else = false;  // kCase
  bool distinct = false;  // kAggregate
  bool try_cast = false;  // kCast: a value that does not convert is NULL, not an error
  std::vector<std::unique_ptr<BoundExpr>> args;
  std::string text;  // as SQL, for explain and generated names

  std::unique_ptr<BoundExpr> Clone() const;
  bool IsConstant() const;  // no column, no aggregate, no clock
};

using BoundExprPtr = std::unique_ptr<BoundExpr>;

}  // namespace sluice::plan
