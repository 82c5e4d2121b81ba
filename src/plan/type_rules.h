// The dialect's type rules (DIALECT.md "Types and conversions"): numeric promotion, the common
// type of comparisons and CASE branches, and which conversions are allowed.
#pragma once

#include <optional>

#include "sluice/types.h"
#include "sql/ast.h"

namespace sluice::plan {

// The type both operands convert to for a comparison, IN, CASE or COALESCE; nullopt when they are
// incompatible (INT and STRING).
std::optional<DataType> CommonType(DataType a, DataType b);

// The result type of `a op b` for + - * / %; nullopt when not defined for those types.
std::optional<DataType> ArithmeticType(sql::BinaryOp op, DataType a, DataType b);

// Whether CAST(x AS to) is allowed for a value of type `from` (it may still fail at run time,
// e.g. a STRING that is not a number).
bool CanCast(DataType from, DataType to);

// Whether an INSERT INTO can assign `from` to a column of type `to` (SQL assignment casts).
bool CanAssign(DataType from, DataType to);

}  // namespace sluice::plan
