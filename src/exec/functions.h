// Scalar function kernels (upper, substr, round, coalesce, ...), used by the expression compiler.
#pragma once

#include <memory>
#include <vector>

#include "exec/expression.h"

namespace sluice::exec {

std::unique_ptr<VecExpr> MakeFunctionExpr(plan::Fn fn, DataType type,
                                          std::vector<std::unique_ptr<VecExpr>> args);

}  // namespace sluice::exec
