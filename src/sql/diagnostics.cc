#include "sql/diagnostics.h"

#include <algorithm>
#include <cctype>

namespace sluice::sql {

void Diagnostics::Error(Loc loc, std::string message, std::string suggestion, int length) {
  if (errors_++ < kMaxDiagnosticsShown)
    items_.push_back({Diagnostic::Severity::kError, loc, std::max(1, length), std::move(message),
                      std::move(suggestion)});
}

void Diagnostics::Warning(Loc loc, std::string message, std::string suggestion, int length) {
  if (warnings_++ < kMaxDiagnosticsShown)
    items_.push_back({Diagnostic::Severity::kWarning, loc, std::max(1, length), std::move(message),
                      std::move(suggestion)});
}

static std::string_view LineOf(std::string_view source, int line) {
  if (source.substr(0, 3) == "\xEF\xBB\xBF") source.remove_prefix(3);  // the byte-order mark
  int current = 1;
  size_t start = 0;
  while (current < line) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
    ++current;
  }
  size_t end = source.find('\n', start);
  std::string_view text =
      source.substr(start, end == std::string_view::npos ? source.size() - start : end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

namespace {

// A source line as shown under a message: its characters (a UTF-8 sequence is one), with control
// characters shown as '?' so that a NUL or an escape cannot cut off or garble the listing.
struct ShownLine {
  std::vector<std::string> chars;

  explicit ShownLine(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      size_t n = 1;
      if (c >= 0xC0)
        while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
      if (c == '\t') {
        chars.emplace_back("\t");
      } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && n == 1)) {
        chars.emplace_back("?");
      } else {
        chars.emplace_back(text.substr(i, n));
      }
      i += n;
    }
  }
};

}  // namespace

std::string Diagnostics::Format(std::string_view source, std::string_view file_name,
                                bool include_warnings) const {
  std::vector<const Diagnostic*> sorted;
  for (const Diagnostic& d : items_)
    if (include_warnings || d.severity == Diagnostic::Severity::kError) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return a->loc.line != b->loc.line ? a->loc.line < b->loc.line : a->loc.col < b->loc.col;
  });
  std::string out;
  for (const Diagnostic* d : sorted) {
    out += std::string(file_name) + ":" + std::to_string(d->loc.line) + ":" +
           std::to_string(d->loc.col) + ": ";
    out += d->severity == Diagnostic::Severity::kError ? "error: " : "warning: ";
    out += d->message + "\n";
    ShownLine line(LineOf(source, d->loc.line));
    int size = static_cast<int>(line.chars.size());
    if (d->loc.line > 0 && size > 0) {
      // The caret's character, and a window around it when the line is long.
      int caret = std::clamp(d->loc.col - 1, 0, size);
      int from = 0, to = size;
      if (size > kMaxLineShown) {
        from = std::clamp(caret - kMaxLineShown / 2, 0, size - kMaxLineShown);
        to = from + kMaxLineShown;
      }
      std::string shown = "  ", marks = "  ";
      if (from > 0) shown += "...", marks += "   ";
      for (int i = from; i < to; ++i) {
        shown += line.chars[static_cast<size_t>(i)];
        if (i < caret) marks += line.chars[static_cast<size_t>(i)] == "\t" ? '\t' : ' ';
      }
      if (to < size) shown += "...";
      marks += '^';
      for (int i = 1; i < d->length && caret + i < to; ++i) marks += '~';
      out += shown + "\n" + marks + "\n";
    }
    if (!d->suggestion.empty()) out += "  " + d->suggestion + "\n";
  }
  int hidden_errors = std::max(0, errors_ - kMaxDiagnosticsShown);
  int hidden_warnings = include_warnings ? std::max(0, warnings_ - kMaxDiagnosticsShown) : 0;
  if (hidden_errors > 0)
    out += std::string(file_name) + ": stopped after " + std::to_string(kMaxDiagnosticsShown) +
           " errors; " + std::to_string(hidden_errors) + " more not shown\n";
  if (hidden_warnings > 0)
    out += std::string(file_name) + ": " + std::to_string(hidden_warnings) +
           " more warnings not shown\n";
  return out;
}

// Levenshtein's distance, ignoring case, where a swap of neighbours ('prot' for 'port') counts
// as one edit (the optimal string alignment distance).
static size_t EditDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = lower(a[i - 1]) == lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  size_t limit = std::max<size_t>(1, std::min<size_t>(3, (word.size() + 1) / 3));
  if (best_distance == 0 && !best.empty()) return best;  // differs only in case
  return best_distance <= limit ? best : std::string();
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = ClosestMatch(word, candidates);
  return m.empty() ? std::string() : "did you mean '" + m + "'?";
}

}  // namespace sluice::sql
