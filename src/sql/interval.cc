#include "sql/interval.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace sluice::sql {

namespace {

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// The fields of an interval, largest unit first.
constexpr int64_t kUnits[] = {86'400'000, 3'600'000, 60'000, 1000, 1};

// A field's number: digits, and for the last field a fraction.
bool Number(std::string_view text, bool fraction_ok, double* out) {
  if (text.empty()) return false;
  bool dot = false;
  for (char c : text) {
    if (c == '.' && fraction_ok && !dot) {
      dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = std::strtod(std::string(text).c_str(), nullptr);
  return true;
}

}  // namespace

int64_t DurationUnitMillis(std::string_view word) {
  std::string u = Upper(word);
  if (u == "MILLISECOND" || u == "MILLISECONDS" || u == "MS" || u == "MILLIS" || u == "MILLISEC")
    return 1;
  if (u == "SECOND" || u == "SECONDS" || u == "SEC" || u == "SECS") return 1000;
  if (u == "MINUTE" || u == "MINUTES" || u == "MIN" || u == "MINS") return 60'000;
  if (u == "HOUR" || u == "HOURS") return 3'600'000;
  if (u == "DAY" || u == "DAYS") return 86'400'000;
  return 0;
}

bool IntervalMillis(std::string_view amount, int64_t from, int64_t to, int64_t* ms,
                    std::string* problem) {
  while (!amount.empty() && amount.front() == ' ') amount.remove_prefix(1);
  while (!amount.empty() && amount.back() == ' ') amount.remove_suffix(1);
  bool negative = !amount.empty() && amount.front() == '-';
  if (negative || (!amount.empty() && amount.front() == '+')) amount.remove_prefix(1);
  // The units from `from` down to `to`, each a field of the text.
  std::vector<int64_t> units;
  for (int64_t u : kUnits)
    if (u <= from && u >= to) units.push_back(u);
  if (units.empty() || units.front() != from || units.back() != to) {
    *problem = "the first unit must be larger than the last (DAY TO SECOND, MINUTE TO SECOND)";
    return false;
  }
  // "d h:m:s": a space after the days, colons between the rest.
  std::vector<std::string_view> fields;
  std::string_view rest = amount;
  if (units.size() > 1 && from == kUnits[0]) {
    size_t space = rest.find(' ');
    fields.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  while (!rest.empty() || fields.size() < units.size()) {
    size_t colon = rest.find(':');
    fields.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  std::string shape = units.size() == 1                        ? "a number"
                      : units.size() == 2 && from == kUnits[0] ? "'days hours'"
                                                               : "its fields separated by ':'";
  if (fields.size() != units.size()) {
    *problem = "expected " + shape + ", got '" + std::string(amount) + "'";
    return false;
  }
  double total = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    double v = 0;
    if (!Number(fields[i], i + 1 == fields.size(), &v)) {
      *problem = "expected " + shape + ", got '" + std::string(amount) + "'";
      return false;
    }
    total += v * static_cast<double>(units[i]);
  }
  if (!(total < 9.2e18)) {
    *problem = "its milliseconds do not fit in BIGINT";
    return false;
  }
  *ms = static_cast<int64_t>(std::llround(negative ? -total : total));
  return true;
}

}  // namespace sluice::sql
