#include "plan/type_rules.h"

#include <algorithm>

namespace sluice::plan {

static int NumericRank(TypeId id) {
  switch (id) {
    case TypeId::kInt:
      return 1;
    case TypeId::kBigint:
      return 2;
    case TypeId::kDecimal:
      return 3;
    case TypeId::kFloat:
      return 4;
    case TypeId::kDouble:
      return 5;
    default:
      return 0;
  }
}

std::optional<DataType> CommonType(DataType a, DataType b) {
  if (a.id == TypeId::kNull) return b;
  if (b.id == TypeId::kNull) return a;
  if (a == b) return a;
  if (a.id == TypeId::kTimestamp && (b.is_integer() || b.id == TypeId::kTimestamp))
    return DataType::Timestamp();
  if (b.id == TypeId::kTimestamp && a.is_integer()) return DataType::Timestamp();
  if (a.is_numeric() && b.is_numeric()) {
    if (a.id == TypeId::kDecimal && b.id == TypeId::kDecimal)
      return DataType::Decimal(18, std::max(a.scale, b.scale));
    if (a.id == TypeId::kDecimal && b.is_integer()) return DataType::Decimal(18, a.scale);
    if (b.id == TypeId::kDecimal && a.is_integer()) return DataType::Decimal(18, b.scale);
    if (a.id == TypeId::kDecimal || b.id == TypeId::kDecimal) return DataType::Double();
    return NumericRank(a.id) >= NumericRank(b.id) ? a : b;
  }
  if (a.id == b.id) return a;  // DECIMAL of other precision handled above
  return std::nullopt;
}

std::optional<DataType> ArithmeticType(sql::BinaryOp op, DataType a, DataType b) {
  using sql::BinaryOp;
  if (a.id == TypeId::kNull && b.id == TypeId::kNull) return DataType::Int();
  if (a.id == TypeId::kNull) a = b;
  if (b.id == TypeId::kNull) b = a;
  // TIMESTAMP +/- integer is a TIMESTAMP; TIMESTAMP - TIMESTAMP is BIGINT milliseconds.
  if (a.id == TypeId::kTimestamp || b.id == TypeId::kTimestamp) {
    if (op == BinaryOp::kSub && a.id == TypeId::kTimestamp && b.id == TypeId::kTimestamp)
      return DataType::Bigint();
    if ((op == BinaryOp::kAdd || op == BinaryOp::kSub) && a.id == TypeId::kTimestamp &&
        b.is_integer())
      return DataType::Timestamp();
    if (op == BinaryOp::kAdd && b.id == TypeId::kTimestamp && a.is_integer())
      return DataType::Timestamp();
    return std::nullopt;
  }
  if (!a.is_numeric() || !b.is_numeric()) return std::nullopt;
  if (a.id == TypeId::kDecimal || b.id == TypeId::kDecimal) {
    if (a.is_floating() || b.is_floating()) return DataType::Double();
    int sa = a.id == TypeId::kDecimal ? a.scale : 0;
    int sb = b.id == TypeId::kDecimal ? b.scale : 0;
    switch (op) {
      case BinaryOp::kMul:
        return DataType::Decimal(18, std::min(18, sa + sb));
      case BinaryOp::kDiv:
        return DataType::Decimal(18, std::max({sa, sb, 6}));
      default:
        return DataType::Decimal(18, std::max(sa, sb));
    }
  }
  return CommonType(a, b);
}

bool CanCast(DataType from, DataType to) {
  if (from.id == TypeId::kNull || from == to) return true;
  if (to.id == TypeId::kString || from.id == TypeId::kString) return true;
  if (from.is_numeric() && to.is_numeric()) return true;
  if (from.id == TypeId::kTimestamp && (to.is_integer() || to.id == TypeId::kTimestamp))
    return true;
  if (to.id == TypeId::kTimestamp && from.is_numeric()) return true;
  if (from.id == TypeId::kBool && to.is_integer()) return true;
  if (to.id == TypeId::kBool && from.is_integer()) return true;
  return false;
}

bool CanAssign(DataType from, DataType to) {
  if (from.id == TypeId::kNull || from == to) return true;
  if (to.id == TypeId::kString) return true;
  if (from.id == TypeId::kString) return to.id != TypeId::kNull;  // parsed at run time
  if (from.is_numeric() && to.is_numeric()) return true;
  if (from.id == TypeId::kTimestamp && to.id == TypeId::kBigint) return true;
  if (to.id == TypeId::kTimestamp && from.is_integer()) return true;
  if (from.id == TypeId::kDecimal && to.id == TypeId::kDecimal) return true;
  return false;
}

}  // namespace sluice::plan
