// How a sink turns rows into bytes, one mechanism for every sink: a JSON object or a CSV line per
// row; in changelog mode each row also says its change kind, as Flink's changelog-json format
// does: {"op":"+U","data":{...}}, or the kind as the first CSV field.
#pragma once

#include <string>

#include "plan/catalog.h"
#include "sluice/batch.h"

namespace sluice::connectors {

// A connector property of `def` (WITH (...)), or `dflt`.
std::string Prop(const plan::StreamDef& def, const std::string& key, const std::string& dflt);
// "stream 'S'" or "table 'T'", for messages.
std::string Named(const plan::StreamDef& def);

struct SinkFormat {
  bool csv = false;
  char delimiter = ',';
  bool changelog = false;
};

// The format a sink of `def` writes: 'format', 'delimiter'; `changelog` from the app's options.
SinkFormat SinkFormatOf(const plan::StreamDef& def, bool changelog);

// Appends row `row` of `batch` (of `schema`) as one line, ending in '\n'.
void AppendSinkRow(const SinkFormat& format, const Schema& schema, const Batch& batch, size_t row,
                   std::string* out);

}  // namespace sluice::connectors
