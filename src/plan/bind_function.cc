// Functions: the table of every function the dialect knows (name, arity, aggregate or not) and
// the binding of a call: argument types, the result type, aggregates in their place.
#include "plan/binder_internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/format.h"
#include "common/regex.h"
#include "common/row_key.h"
#include "plan/plan.h"
#include "plan/stream_graph.h"
#include "plan/type_rules.h"
#include "sql/parser.h"

namespace sluice::plan::binding {

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
    {"startsWith", Fn::kStartsWith, 2, 2, false},
    {"starts_with", Fn::kStartsWith, 2, 2, false},
    {"endsWith", Fn::kEndsWith, 2, 2, false},
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
    {"currentTimeMillis", Fn::kCurrentTimeMillis, 0, 0, false},
    {"now", Fn::kNow, 0, 0, false},
    {"current_timestamp", Fn::kNow, 0, 0, false},
    {"split_index", Fn::kSplitIndex, 3, 3, false},
    {"regexp_extract", Fn::kRegexpExtract, 2, 3, false},
    {"regexp_replace", Fn::kRegexpReplace, 3, 3, false},
    {"md5", Fn::kMd5, 1, 1, false},
    {"sha256", Fn::kSha256, 1, 1, false},
    {"uuid", Fn::kUuid, 0, 0, false},
    {"eventTimestamp", Fn::kEventTimestamp, 0, 0, false},
    {"formatTimestamp", Fn::kFormatTimestamp, 1, 1, false},
    {"parseTimestamp", Fn::kParseTimestamp, 1, 2, false},
    {"count", Fn::kCount, 0, 1, true},
    {"sum", Fn::kSum, 1, 1, true},
    {"avg", Fn::kAvg, 1, 1, true},
    {"min", Fn::kMin, 1, 1, true},
    {"max", Fn::kMax, 1, 1, true},
    {"stddev", Fn::kStddev, 1, 1, true},
    {"distinctCount", Fn::kDistinctCount, 1, 1, true},
    {"first", Fn::kFirst, 1, 1, true},
    {"last", Fn::kLast, 1, 1, true},
    {"minForever", Fn::kMinForever, 1, 1, true},
    {"maxForever", Fn::kMaxForever, 1, 1, true},
};

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

const std::vector<std::string>& FunctionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const FunctionInfo& f : kFunctions) v.push_back(f.name);
    return v;
  }();
  return names;
}

const FunctionInfo* FindFunction(const std::string& name) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  for (const FunctionInfo& f : kFunctions) {
    std::string_view spelled = f.name;
    if (spelled.size() == name.size() &&
        std::equal(spelled.begin(), spelled.end(), name.begin(),
                   [&](char a, char b) { return lower(a) == lower(b); }))
      return &f;
  }
  return nullptr;
}

BoundExprPtr Binder::BindFunction(const Expr& e, Scope& scope) {
  const FunctionInfo* f = FindFunction(e.name);
  if (!f) {
    diags_->Error(e.loc, "unknown function '" + e.name + "'",
                  sql::DidYouMean(e.name, FunctionNames()), e.length);
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
        e.loc, e.name + "() takes " + expect + " argument(s), got " + std::to_string(e.args.size()),
        "", e.length);
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
          int64_t digits = args[1]->kind == BoundExpr::Kind::kLiteral && !args[1]->literal.is_null()
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
        DataType want = t->id == TypeId::kDecimal
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
    case Fn::kNow:
      b->type = DataType::Timestamp();
      break;
    case Fn::kUuid:
      b->type = DataType::String();
      break;
    case Fn::kMd5:
    case Fn::kSha256:
      if (!RequireType(e, *e.args[0], *args[0], is_string(args[0]), "a STRING")) return nullptr;
      b->type = DataType::String();
      args[0] = MakeCast(std::move(args[0]), DataType::String());
      break;
    case Fn::kSplitIndex:
      for (size_t i = 0; i < 2; ++i)
        if (!RequireType(e, *e.args[i], *args[i], is_string(args[i]), "STRING text and separator"))
          return nullptr;
      if (!RequireType(e, *e.args[2], *args[2], is_int(args[2]), "an integer index (from 0)"))
        return nullptr;
      b->type = DataType::String();
      args[2] = MakeCast(std::move(args[2]), DataType::Bigint());
      break;
    case Fn::kRegexpExtract:
    case Fn::kRegexpReplace: {
      bool replace = f->fn == Fn::kRegexpReplace;
      for (size_t i = 0; i < (replace ? 3u : 2u); ++i)
        if (!RequireType(e, *e.args[i], *args[i], is_string(args[i]), "STRING arguments"))
          return nullptr;
      // The pattern is compiled once, so it is a constant; a bad one is an error here.
      if (args[1]->kind != BoundExpr::Kind::kLiteral || args[1]->literal.is_null()) {
        diags_->Error(e.args[1]->loc, e.name + "() needs its pattern as a string literal", "",
                      e.args[1]->length);
        return nullptr;
      }
      std::string problem = RegexProblem(args[1]->literal.string_value());
      if (!problem.empty()) {
        diags_->Error(e.args[1]->loc, e.name + "(): the pattern does not compile: " + problem, "",
                      e.args[1]->length);
        return nullptr;
      }
      if (!replace && args.size() == 3) {
        if (!RequireType(e, *e.args[2], *args[2], is_int(args[2]), "an integer group"))
          return nullptr;
        if (!args[2]->IsConstant()) {
          diags_->Error(e.args[2]->loc, "regexp_extract() needs a constant group number");
          return nullptr;
        }
        args[2] = MakeCast(std::move(args[2]), DataType::Bigint());
      }
      b->type = DataType::String();
      break;
    }
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

bool Binder::RequireType(const Expr& call, const Expr& arg, const BoundExpr& b, bool ok,
                         const char* expected) {
  if (ok || b.type.id == TypeId::kNull) return true;
  diags_->Error(
      arg.loc,
      call.name + "() expects " + expected + ", but " + Show(arg) + " is " + b.type.ToString(), "",
      arg.length);
  return false;
}

}  // namespace sluice::plan::binding
