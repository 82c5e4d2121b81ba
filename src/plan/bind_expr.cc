// Expressions: names resolved to columns, operators typed, conditions and aggregates in their
// clauses.
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

bool Binder::ContainsAggregate(const BoundExpr& e) {
  if (e.kind == BoundExpr::Kind::kAggregate) return true;
  for (const auto& a : e.args)
    if (ContainsAggregate(*a)) return true;
  return false;
}

Loc Binder::FirstAggregateLoc(const BoundExpr& e) {
  if (e.kind == BoundExpr::Kind::kAggregate) return e.loc;
  for (const auto& a : e.args)
    if (ContainsAggregate(*a)) return FirstAggregateLoc(*a);
  return e.loc;
}

BoundExprPtr Binder::BindCondition(const Expr& e, Scope& scope, const char* clause) {
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

BoundExprPtr Binder::ResolveColumn(const Expr& e, Scope& scope) {
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
      // SQL's CURRENT_TIMESTAMP, without parentheses, where no attribute has that name.
      std::string upper = e.name;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (upper == "CURRENT_TIMESTAMP") {
        auto now = Node(BoundExpr::Kind::kFunction, DataType::Timestamp(), e);
        now->fn = Fn::kNow;
        return now;
      }
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

BoundExprPtr Binder::BindExpr(const Expr& e, Scope& scope) {
  BoundExprPtr b = BindExprInner(e, scope);
  if (b && b->text.empty()) b->text = e.ToSql();
  return b;
}

BoundExprPtr Binder::Node(BoundExpr::Kind kind, DataType type, const Expr& e) {
  auto b = std::make_unique<BoundExpr>();
  b->kind = kind;
  b->type = type;
  b->loc = e.loc;
  b->text = e.ToSql();
  return b;
}

bool Binder::BindArgs(const Expr& e, Scope& scope, std::vector<BoundExprPtr>* out, size_t from) {
  bool ok = true;
  for (size_t i = from; i < e.args.size(); ++i) {
    out->push_back(BindExpr(*e.args[i], scope));
    ok = ok && out->back();
  }
  return ok;
}

BoundExprPtr Binder::BindComparison(BinaryOp op, BoundExprPtr l, BoundExprPtr r, const Expr& e,
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

BoundExprPtr Binder::BindExprInner(const Expr& e, Scope& scope) {
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
          diags_->Error(
              e.loc, "NOT needs a BOOL, but '" + e.args[0]->ToSql() + "' is " + a->type.ToString());
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
      if (op == BinaryOp::kConcat) {
        // SQL's ||: concat() of the operands as text, but NULL when either is NULL (concat()
        // skips NULLs, as PostgreSQL's does).
        auto b = Node(BoundExpr::Kind::kFunction, DataType::String(), e);
        b->fn = Fn::kConcatStrict;
        b->args.push_back(MakeCast(std::move(l), DataType::String()));
        b->args.push_back(MakeCast(std::move(r), DataType::String()));
        return b;
      }
      if (op >= BinaryOp::kEq && op <= BinaryOp::kGe)
        return BindComparison(op, std::move(l), std::move(r), e, *e.args[0], *e.args[1]);
      MakeLiteralExact(l, *r);
      MakeLiteralExact(r, *l);
      std::optional<DataType> t = ArithmeticType(op, l->type, r->type);
      if (!t) {
        std::string hint;
        if (l->type.id == TypeId::kString || r->type.id == TypeId::kString)
          hint =
              op == BinaryOp::kAdd ? "to join strings use a || b" : "CAST the STRING to a number";
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
          diags_->Error(e.args[k]->loc, "WHEN needs a BOOL condition, but '" + e.args[k]->ToSql() +
                                            "' is " + cond->type.ToString());
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
        diags_->Error(e.loc, "cannot CAST " + a->type.ToString() + " to " + e.cast_type.ToString(),
                      "", 4);
        return nullptr;
      }
      auto b = Node(BoundExpr::Kind::kCast, e.cast_type, e);
      b->try_cast = e.try_cast;
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
                                            Show(*e.args[0]) + " with " + args[i]->type.ToString() +
                                            " " + Show(*e.args[i]) + " in IN (...)");
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

}  // namespace sluice::plan::binding
