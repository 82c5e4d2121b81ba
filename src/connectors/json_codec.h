// JSON for events: decoding one JSON value per attribute into a batch row (objects by name,
// arrays by position), encoding a row as one JSON object, and the replay envelope
// {"stream":"S","ts":1000,"values":[...]|"data":{...}} / {"advance_to": ms}.
// simdjson stays inside json_codec.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/batch.h"
#include "sluice/status.h"

namespace sluice::connectors {

// Decodes JSON text into rows of a schema. Reuses its parser: one per thread.
class JsonRowDecoder {
 public:
  explicit JsonRowDecoder(const Schema& schema);
  ~JsonRowDecoder();
  JsonRowDecoder(const JsonRowDecoder&) = delete;
  JsonRowDecoder& operator=(const JsonRowDecoder&) = delete;

  // Decodes `json` (an object by attribute name, or an array in attribute order) into row `row`
  // of `batch`. Missing attributes are NULL; unknown keys are ignored, but an object none of whose
  // keys is an attribute, a duplicate key, text after the value and anything JSON does not allow
  // (NaN, 01, 'x') are errors. On error the row is left partly filled and the message names the
  // attribute and the problem.
  Status Decode(std::string_view json, Batch* batch, size_t row);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The elements of a JSON array, as text (each still to be decoded), for bodies that hold a batch
// of events: `[{"a":1},{"a":2}]`. An error for text that is not one array.
Status SplitJsonArray(std::string_view json, std::vector<std::string_view>* elements);

// Appends row `row` of `batch` as {"name":value,...} in schema order.
void AppendJsonObject(std::string* out, const Schema& schema, const Batch& batch, size_t row);

// One line of a replay file.
struct ReplayLine {
  bool is_advance = false;  // {"advance_to": ms}
  int64_t advance_to = 0;
  std::string stream;
  bool has_ts = false;
  int64_t ts = 0;
  std::string payload;  // the raw JSON of "values" or "data"
  std::string op;       // "op" of an output line: "+I", "-U", "+U", "-D"; empty when not given
};

Status ParseReplayLine(std::string_view line, ReplayLine* out);

}  // namespace sluice::connectors
