#include "sql/metric_comments.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

namespace sluice::sql {

namespace {

struct Line {
  std::string_view text;
  int number = 0;
};

// Columns count characters, as the lexer's do.
int ColumnOf(std::string_view line, size_t byte) {
  int col = 1;
  for (size_t i = 0; i < byte && i < line.size(); ++i)
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++col;
  return col;
}

// `-- @metric_type: counter` as a comment; false for any other line.
bool ParseMetricLine(const Line& line, MetricComment* out) {
  std::string_view t = line.text;
  size_t i = t.find_first_not_of(" \t");
  if (i == std::string_view::npos || t.substr(i, 2) != "--") return false;
  i = t.find_first_not_of(" \t", i + 2);
  if (i == std::string_view::npos || t.substr(i, 7) != "@metric") return false;
  size_t at = i;
  size_t key_end = at + 1;
  while (key_end < t.size() &&
         (std::isalnum(static_cast<unsigned char>(t[key_end])) || t[key_end] == '_'))
    ++key_end;
  std::string_view key = t.substr(at + 1, key_end - at - 1);
  size_t next = t.find_first_not_of(" \t", key_end);
  size_t colon = next != std::string_view::npos && t[next] == ':' ? next : std::string_view::npos;
  // "-- @metric comments like this one" is prose; "-- @metric_type counter" a metric line that
  // lacks its ':'.
  if (colon == std::string_view::npos && key.rfind("metric_", 0) != 0 &&
      next != std::string_view::npos)
    return false;
  out->key = std::string(key);
  out->loc = {line.number, ColumnOf(t, at)};
  size_t v = colon == std::string_view::npos ? t.size() : t.find_first_not_of(" \t", colon + 1);
  if (v == std::string_view::npos) v = t.size();
  std::string_view value = t.substr(v);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r'))
    value.remove_suffix(1);
  out->value = std::string(value);
  out->value_loc = {line.number, ColumnOf(t, v)};
  if (colon == std::string_view::npos) out->value_loc.col = -1;  // no ':' at all
  return true;
}

bool IsComment(std::string_view t) {
  size_t i = t.find_first_not_of(" \t\r");
  return i != std::string_view::npos && t.substr(i, 2) == "--";
}

int FirstLine(const Statement& st) {
  int first = st.loc.line;
  auto fold = [&](const std::vector<Annotation>& as) {
    for (const Annotation& a : as)
      if (a.loc.line > 0) first = std::min(first, a.loc.line);
  };
  fold(st.annotations);
  if (st.query) fold(st.query->annotations);
  return first;
}

}  // namespace

void AttachMetricComments(std::string_view source, AppAst* ast, Diagnostics* diags) {
  if (source.find("@metric") == std::string_view::npos) return;
  std::vector<Line> lines;
  for (size_t start = 0, n = 1; start <= source.size(); ++n) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) nl = source.size();
    lines.push_back({source.substr(start, nl - start), static_cast<int>(n)});
    start = nl + 1;
  }
  std::map<int, bool> attached;  // metric lines, by number: whether a statement took them
  for (const Line& l : lines) {
    MetricComment m;
    if (ParseMetricLine(l, &m)) attached[l.number] = false;
  }
  for (Statement& st : ast->statements) {
    int line = FirstLine(st) - 1;  // the comment block right above the statement
    std::vector<MetricComment> block;
    for (; line >= 1 && IsComment(lines[static_cast<size_t>(line - 1)].text); --line) {
      MetricComment m;
      if (!ParseMetricLine(lines[static_cast<size_t>(line - 1)], &m)) continue;
      attached[line] = true;
      block.push_back(std::move(m));
    }
    std::reverse(block.begin(), block.end());
    st.metric_comments = std::move(block);
  }
  int last_reported = -2;
  for (const auto& [number, taken] : attached) {
    if (taken) continue;
    // One error for a block of lines.
    bool same_block = number == last_reported + 1;
    last_reported = number;
    if (same_block) continue;
    MetricComment m;
    ParseMetricLine(lines[static_cast<size_t>(number - 1)], &m);
    diags->Error(m.loc,
                 "this @" + m.key +
                     " line is not right above a query: put the -- @metric lines directly above "
                     "the query whose rows they count (no blank line between)",
                 "", static_cast<int>(m.key.size()) + 1);
  }
}

}  // namespace sluice::sql
