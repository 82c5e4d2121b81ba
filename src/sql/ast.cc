#include "sql/ast.h"

namespace sluice::sql {

const char* BinaryOpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kConcat:
      return "||";
    case BinaryOp::kEq:
      return "=";
    case BinaryOp::kNotEq:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
  }
  return "?";
}

static std::string Quote(const std::string& s) {
  std::string r = "'";
  for (char c : s) {
    if (c == '\'') r += '\'';
    r += c;
  }
  return r + "'";
}

std::string Expr::ToSql() const {
  switch (kind) {
    case Kind::kLiteral:
      if (is_duration) return name.empty() ? std::to_string(literal.int_value()) + " ms" : name;
      if (literal.type() == TypeId::kString) return Quote(literal.string_value());
      return literal.ToString();
    case Kind::kColumn: {
      std::string s = qualifier;
      if (index) {
        s += index_last ? (*index ? "[last-" + std::to_string(*index) + "]" : "[last]")
                        : "[" + std::to_string(*index) + "]";
      }
      if (!s.empty()) s += ".";
      return s + name;
    }
    case Kind::kStar:
      return qualifier.empty() ? "*" : qualifier + ".*";
    case Kind::kUnary:
      return unary_op == UnaryOp::kNeg ? "-" + args[0]->ToSql() : "NOT " + args[0]->ToSql();
    case Kind::kBinary: {
      std::string s = "(";
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) s += std::string(" ") + BinaryOpText(binary_op) + " ";
        s += args[i]->ToSql();
      }
      return s + ")";
    }
    case Kind::kFunction: {
      std::string s = name + "(" + (distinct ? "DISTINCT " : "");
      for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i]->ToSql();
      return s + ")";
    }
    case Kind::kCase: {
      std::string s = "CASE";
      size_t i = 0;
      if (has_operand) s += " " + args[i++]->ToSql();
      size_t pairs_end = args.size() - (has_else ? 1 : 0);
      for (; i + 1 < pairs_end + 1 && i < pairs_end; i += 2)
        s += " WHEN " + args[i]->ToSql() + " THEN " + args[i + 1]->ToSql();
      if (has_else) s += " ELSE " + args.back()->ToSql();
      return s + " END";
    }
    case Kind::kCast:
      return std::string(try_cast ? "TRY_CAST(" : "CAST(") + args[0]->ToSql() + " AS " +
             cast_type.ToString() + ")";
    case Kind::kIn: {
      std::string s = args[0]->ToSql() + (negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < args.size(); ++i) s += (i > 1 ? ", " : "") + args[i]->ToSql();
      return s + ")";
    }
    case Kind::kBetween:
      return args[0]->ToSql() + (negated ? " NOT BETWEEN " : " BETWEEN ") + args[1]->ToSql() +
             " AND " + args[2]->ToSql();
    case Kind::kLike:
      return args[0]->ToSql() + (negated ? " NOT LIKE " : " LIKE ") + args[1]->ToSql();
    case Kind::kIsNull:
      return args[0]->ToSql() + (negated ? " IS NOT NULL" : " IS NULL");
  }
  return "?";
}

std::string WindowSpec::ToSql() const {
  std::string s = "WINDOW";
  if (keyword_form) {
    s += " ";
    for (char c : kind) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    s += "(";
  } else {
    s += "('" + kind + "'" + (args.empty() ? "" : ", ");
  }
  for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i]->ToSql();
  return s + ")";
}

}  // namespace sluice::sql
