#include "connectors/csv_codec.h"

#include <algorithm>

#include "common/convert.h"
#include "common/format.h"
#include "sql/diagnostics.h"

namespace sluice::connectors {

bool SplitCsv(std::string_view line, char delimiter, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false, any = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"' && cur.empty()) {
      quoted = true;
    } else if (c == delimiter) {
      fields->push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r' || i + 1 != line.size()) {
      cur.push_back(c);
    }
    any = true;
  }
  if (quoted) return false;
  if (any || !fields->empty()) fields->push_back(std::move(cur));
  return true;
}

Status CsvHeaderColumns(const std::vector<std::string>& header, const Schema& schema,
                        std::vector<int>* columns) {
  columns->clear();
  std::vector<std::string> names;
  for (const Field& f : schema.fields()) names.push_back(f.name);
  for (const std::string& h : header) {
    int idx = schema.IndexOf(h);
    if (idx < 0) {
      std::string hint = sql::DidYouMean(h, names);
      return Status::InvalidArgument("header column '" + h + "' is not an attribute of " +
                                     schema.ToString() + (hint.empty() ? "" : "; " + hint));
    }
    if (std::find(columns->begin(), columns->end(), idx) != columns->end())
      return Status::InvalidArgument("header column '" + h + "' appears twice");
    columns->push_back(idx);
  }
  return Status::OK();
}

Status DecodeCsvFields(const std::vector<std::string>& fields, const std::vector<int>& columns,
                       const Schema& schema, Batch* batch, size_t row) {
  size_t want = columns.empty() ? schema.size() : columns.size();
  if (fields.size() != want)
    return Status::InvalidArgument(
        "expected " + std::to_string(want) + " fields " +
        (columns.empty() ? schema.ToString() : std::string("(as the header names)")) + ", got " +
        std::to_string(fields.size()));
  for (size_t i = 0; i < fields.size(); ++i) {
    int col = columns.empty() ? static_cast<int>(i) : columns[i];
    if (fields[i].empty()) continue;  // NULL
    Value text{std::string_view(fields[i])};
    if (!batch->SetValue(row, col, text))
      return Status::InvalidArgument("'" + schema.field(col).name + "' is " +
                                     schema.field(col).type.ToString() + ", got '" + fields[i] +
                                     "' (" + ConversionProblem(text, schema.field(col).type) + ")");
  }
  return Status::OK();
}

static void AppendCsvText(std::string* out, std::string_view s, char delimiter) {
  bool quote = s.find_first_of(std::string{'"', '\n', '\r', delimiter}) != std::string_view::npos;
  if (!quote) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvRow(std::string* out, const Schema& schema, const Batch& batch, size_t row,
                  char delimiter) {
  for (size_t c = 0; c < schema.size(); ++c) {
    if (c) out->push_back(delimiter);
    const Column& col = batch.column(c);
    if (!col.IsNull(row) && col.type().id == TypeId::kString) {
      AppendCsvText(out, col.strings()[row].view(), delimiter);
    } else {
      AppendFieldText(out, col, row);
    }
  }
  out->push_back('\n');
}

void AppendFieldText(std::string* out, const Column& col, size_t row) {
  if (col.IsNull(row)) return;
  DataType t = col.type();
  switch (t.id) {
    case TypeId::kBool:
      out->append(col.ints()[row] ? "true" : "false");
      break;
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kTimestamp:
      AppendInt(out, col.ints()[row]);
      break;
    case TypeId::kDecimal:
      AppendDecimal(out, col.ints()[row], t.scale);
      break;
    case TypeId::kFloat:
    case TypeId::kDouble:
      AppendDouble(out, col.doubles()[row], t.id == TypeId::kFloat);
      break;
    case TypeId::kString:
      out->append(col.strings()[row].view());
      break;
    case TypeId::kNull:
      break;
  }
}

void AppendCsvHeader(std::string* out, const Schema& schema, char delimiter) {
  for (size_t c = 0; c < schema.size(); ++c) {
    if (c) out->push_back(delimiter);
    AppendCsvText(out, schema.field(c).name, delimiter);
  }
  out->push_back('\n');
}

}  // namespace sluice::connectors
