// Recursive-descent parser for the whole dialect (Pratt parsing for expressions). It never stops at
// the first error: a statement with an error is skipped to its ';' and parsing goes on, so that
// every problem of an app is reported together.
#pragma once

#include <string_view>

#include "sql/ast.h"
#include "sql/diagnostics.h"

namespace sluice::sql {

// Parses `source`. Errors go to `diags`; the returned tree holds every statement that parsed.
AppAst Parse(std::string_view source, Diagnostics* diags);

// Parses one standalone expression (for tests and tools).
ExprPtr ParseExpression(std::string_view source, Diagnostics* diags);

// How deep expressions and patterns may nest: parentheses, function calls, CASE, CAST, NOT, unary
// minus, pattern groups, and each operator of a chain other than AND / OR (which take any number of
// operands) count one level each. Deeper input is an error at its line and column, so that no
// input can exhaust the stack of the parser or of what walks the tree after it.
inline constexpr int kMaxNesting = 256;

}  // namespace sluice::sql
