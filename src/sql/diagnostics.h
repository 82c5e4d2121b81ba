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

// At most this many errors (and as many warnings) of an app are kept and shown; the parser stops
// once it has found this many, and the listing ends with how many more there were.
inline constexpr int kMaxDiagnosticsShown = 50;
// A source line longer than this is shown as a window of this many characters around the caret.
inline constexpr int kMaxLineShown = 120;

class Diagnostics {
 public:
  void Error(Loc loc, std::string message, std::string suggestion = "", int length = 1);
  void Warning(Loc loc, std::string message, std::string suggestion = "", int length = 1);

  bool has_errors() const { return errors_ > 0; }
  // Every error found, also those beyond kMaxDiagnosticsShown.
  int error_count() const { return errors_; }
  bool error_limit_reached() const { return errors_ >= kMaxDiagnosticsShown; }
  const std::vector<Diagnostic>& all() const { return items_; }
  // Every diagnostic in source order, each with its line and caret.
  std::string Format(std::string_view source, std::string_view file_name,
                     bool include_warnings = true) const;

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0;
  int warnings_ = 0;
};

// The candidate closest to `word` by edit distance (case-insensitive), if close enough to be a
// plausible misspelling; empty otherwise.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);
// "did you mean 'x'?" for the closest candidate, or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sluice::sql
