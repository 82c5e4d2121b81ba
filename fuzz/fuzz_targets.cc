#include "fuzz/fuzz_targets.h"

#include <string>
#include <string_view>
#include <vector>

#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"
#include "sluice/engine.h"

namespace sluice::fuzz {

namespace {

std::string_view Text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Every type of the dialect, so that every value decoder is reached.
Schema AllTypes() {
  return Schema({{"b", DataType::Bool()},
                 {"i", DataType::Int()},
                 {"l", DataType::Bigint()},
                 {"f", DataType::Float()},
                 {"d", DataType::Double()},
                 {"m", DataType::Decimal(10, 2)},
                 {"s", DataType::String()},
                 {"t", DataType::Timestamp()}});
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace

void FuzzApp(const uint8_t* data, size_t size) {
  AppOptions options;
  options.file_name = "fuzz.sql";
  std::string warnings;
  (void)AppRuntime::Check(Text(data, size), options, &warnings);
  auto app = AppRuntime::Load(Text(data, size), options);  // also compiles every query
  (void)app;
}

void FuzzJson(const uint8_t* data, size_t size) {
  Schema schema = AllTypes();
  connectors::JsonRowDecoder decoder(schema);
  Batch batch(schema);
  batch.AddRow(0);
  (void)decoder.Decode(Text(data, size), &batch, 0);
}

void FuzzCsv(const uint8_t* data, size_t size) {
  if (size == 0) return;
  Schema schema = AllTypes();
  char delimiter = static_cast<char>(data[0]);
  std::vector<std::string_view> lines = Lines(Text(data + 1, size - 1));
  std::vector<std::string> fields;
  std::vector<int> columns;
  Batch batch(schema);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!connectors::SplitCsv(lines[i], delimiter, &fields)) continue;
    if (i == 0 && !lines[0].empty() && lines[0][0] == '#') {  // a header, sometimes
      fields[0].erase(0, 1);
      if (!connectors::CsvHeaderColumns(fields, schema, &columns).ok()) columns.clear();
      continue;
    }
    size_t row = batch.AddRow(0);
    (void)connectors::DecodeCsvFields(fields, columns, schema, &batch, row);
  }
}

void FuzzReplay(const uint8_t* data, size_t size) {
  Schema schema = AllTypes();
  connectors::JsonRowDecoder decoder(schema);
  Batch batch(schema);
  for (std::string_view line : Lines(Text(data, size))) {
    connectors::ReplayLine parsed;
    if (!connectors::ParseReplayLine(line, &parsed).ok() || parsed.is_advance) continue;
    batch.Clear();
    batch.AddRow(parsed.ts);
    (void)decoder.Decode(parsed.payload, &batch, 0);
  }
}

}  // namespace sluice::fuzz
