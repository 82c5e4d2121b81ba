#include "server/result_text.h"

#include <algorithm>
#include <vector>

#include "common/format.h"
#include "connectors/json_codec.h"

namespace sluice::server {

namespace {

// A value as the table shows it: strings without quotes, NULL as "NULL".
std::string Cell(const Batch& rows, size_t row, size_t col) {
  Value v = rows.column(col).GetValue(row);
  if (v.is_null()) return "NULL";
  if (v.type() == TypeId::kString) return v.string_value();
  return v.ToString();
}

// Display width of UTF-8 text: one per code point.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string ResultJson(const StatementResult& result) {
  std::string out = "{\"columns\":[";
  for (size_t i = 0; i < result.schema.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"name\":";
    AppendJsonString(&out, result.schema.field(i).name);
    out += ",\"type\":";
    AppendJsonString(&out, result.schema.field(i).type.ToString());
    out.push_back('}');
  }
  out += "],\"rows\":[";
  for (size_t r = 0; r < result.rows.num_rows(); ++r) {
    if (r) out.push_back(',');
    connectors::AppendJsonObject(&out, result.schema, result.rows, r);
  }
  out += "],\"text\":";
  AppendJsonString(&out, result.text);
  out += "}\n";
  return out;
}

std::string ResultTable(const StatementResult& result) {
  std::string out;
  size_t cols = result.schema.size();
  if (cols > 0) {
    std::vector<std::vector<std::string>> cells(result.rows.num_rows());
    std::vector<size_t> width(cols);
    for (size_t c = 0; c < cols; ++c) width[c] = Width(result.schema.field(c).name);
    for (size_t r = 0; r < cells.size(); ++r) {
      for (size_t c = 0; c < cols; ++c) {
        std::string cell = Cell(result.rows, r, c);
        for (char& ch : cell)
          if (ch == '\n' || ch == '\t') ch = ' ';
        width[c] = std::max(width[c], Width(cell));
        cells[r].push_back(std::move(cell));
      }
    }
    auto line = [&](const std::vector<std::string>& items) {
      for (size_t c = 0; c < cols; ++c) {
        out += (c ? " | " : " ") + items[c];
        if (c + 1 < cols) out += std::string(width[c] - Width(items[c]), ' ');
      }
      out += "\n";
    };
    std::vector<std::string> header;
    for (size_t c = 0; c < cols; ++c) header.push_back(result.schema.field(c).name);
    line(header);
    for (size_t c = 0; c < cols; ++c) out += (c ? "-+-" : "-") + std::string(width[c], '-');
    out += "-\n";
    for (const auto& row : cells) line(row);
    size_t n = cells.size();
    out += "(" + std::to_string(n) + (n == 1 ? " row)\n" : " rows)\n");
  }
  out += result.text;
  if (!result.text.empty() && result.text.back() != '\n') out += "\n";
  return out;
}

}  // namespace sluice::server
