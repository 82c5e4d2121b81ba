#include "common/regex.h"

#include <regex>

namespace sluice {

std::string RegexProblem(std::string_view pattern) {
  try {
    std::regex re(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace sluice
