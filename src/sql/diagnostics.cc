#include "sql/diagnostics.h"

#include <algorithm>
#include <cctype>

namespace sluice::sql {

void Diagnostics::Error(Loc loc, std::string message, std::string suggestion, int length) {
  items_.push_back({Diagnostic::Severity::kError, loc, std::max(1, length), std::move(message),
                    std::move(suggestion)});
  ++errors_;
}

void Diagnostics::Warning(Loc loc, std::string message, std::string suggestion, int length) {
  items_.push_back({Diagnostic::Severity::kWarning, loc, std::max(1, length), std::move(message),
                    std::move(suggestion)});
}

static std::string_view LineOf(std::string_view source, int line) {
  int current = 1;
  size_t start = 0;
  while (current < line) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
    ++current;
  }
  size_t end = source.find('\n', start);
  return source.substr(start, end == std::string_view::npos ? source.size() - start : end - start);
}

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
    std::string_view text = LineOf(source, d->loc.line);
    if (d->loc.line > 0 && !text.empty()) {
      out += "  " + std::string(text) + "\n  ";
      for (int i = 1; i < d->loc.col && i - 1 < static_cast<int>(text.size()); ++i)
        out += text[i - 1] == '\t' ? '\t' : ' ';
      out += '^';
      int avail = static_cast<int>(text.size()) - d->loc.col;
      for (int i = 1; i < d->length && i <= avail; ++i) out += '~';
      out += "\n";
    }
    if (!d->suggestion.empty()) out += "  " + d->suggestion + "\n";
  }
  return out;
}

static size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      // A swap of neighbours counts as one edit.
    }
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
