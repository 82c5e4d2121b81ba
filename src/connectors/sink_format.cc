#include "connectors/sink_format.h"

#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"

namespace sluice::connectors {

std::string Named(const plan::StreamDef& def) {
  return std::string(def.is_table ? "table '" : "stream '") + def.name + "'";
}

std::string Prop(const plan::StreamDef& def, const std::string& key, const std::string& dflt) {
  auto it = def.connector->properties.find(key);
  return it == def.connector->properties.end() ? dflt : it->second;
}

SinkFormat SinkFormatOf(const plan::StreamDef& def, bool changelog) {
  SinkFormat f;
  f.csv = def.connector->format == "csv";
  std::string delimiter = Prop(def, "delimiter", ",");
  f.delimiter = delimiter.empty() ? ',' : delimiter[0];
  f.changelog = changelog;
  return f;
}

void AppendSinkRow(const SinkFormat& format, const Schema& schema, const Batch& batch, size_t row,
                   std::string* out) {
  const char* op = ChangeKindName(batch.kind(row));
  if (format.csv) {
    if (format.changelog) {
      out->append(op);
      out->push_back(format.delimiter);
    }
    AppendCsvRow(out, schema, batch, row, format.delimiter);
    return;
  }
  if (format.changelog) {
    out->append("{\"op\":\"");
    out->append(op);
    out->append("\",\"data\":");
  }
  AppendJsonObject(out, schema, batch, row);
  if (format.changelog) out->push_back('}');
  out->push_back('\n');
}

}  // namespace sluice::connectors
