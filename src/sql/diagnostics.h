// Diagnostics of an app: every error and warning with its place, rendered as
// "file:line:col: error: message", the source line, a caret under the place and a suggestion.
// All problems of an app are collected before anything is reported.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::sql {

struct Loc {
  int line = 0;  // 1-based; 0 when unknown
  int col = 0;   // 1-based
};

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  Loc loc;
  int length = 1;  // characters under the caret
  std::string message;
  std::string suggestion;  // "did you mean 'price'?" or a rewritten form; may be empty
};

class Diagnostics {
 public:
  void Error(Loc loc, std::string message, std::string suggestion = "", int length = 1);
  void Warning(Loc loc, std::string message, std::string suggestion = "", int length = 1);

  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  const std::vector<Diagnostic>& all() const { return items_; }
  // Every diagnostic in source order, each with its line and caret.
  std::string Format(std::string_view source, std::string_view file_name,
                     bool include_warnings = true) const;

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0;
};

// The candidate closest to `word` by edit distance (case-insensitive), if close enough to be a
// plausible misspelling; empty otherwise.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);
// "did you mean 'x'?" for the closest candidate, or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sluice::sql
