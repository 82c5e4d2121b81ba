// `-- @metric: name` and the `-- @metric_*: value` lines after it, in the comment block right
// above a statement (the seed's declarative metrics, FR-073): found in the source text after
// parsing, since comments are not tokens, and attached to their statement for the binder.
#pragma once

#include <string_view>

#include "sql/ast.h"
#include "sql/diagnostics.h"

namespace sluice::sql {

// Attaches every `-- @...` metric line to the statement right below its comment block; one that
// is not right above a statement (a blank line or other text between) is an error.
void AttachMetricComments(std::string_view source, AppAst* ast, Diagnostics* diags);

}  // namespace sluice::sql
