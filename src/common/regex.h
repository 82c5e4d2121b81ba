// Regular expressions of regexp_extract and regexp_replace: ECMAScript syntax (std::regex), one
// check shared by the binder (a pattern that does not compile is an error at its place) and the
// evaluator.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

// Why `pattern` does not compile, or "" when it does.
std::string RegexProblem(std::string_view pattern);

}  // namespace sluice
