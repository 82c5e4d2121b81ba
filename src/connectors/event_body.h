// The events of one HTTP request body, for everything that takes events over HTTP (the HTTP
// source, the server's POST /api/streams/{name}): JSON lines, a JSON array of events, or CSV
// lines. A body is taken all or nothing: the caller drops the batch when any event is malformed.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "connectors/json_codec.h"
#include "sluice/batch.h"
#include "sluice/status.h"

namespace sluice::connectors {

struct EventBody {
  const Schema* schema = nullptr;  // the batch's
  bool csv = false;                // CSV lines, else JSON
  char delimiter = ',';
  JsonRowDecoder* json = nullptr;  // for JSON bodies
  // Checks a decoded row further (a table's NULL key...); false with *problem rejects it.
  std::function<bool(Batch* batch, size_t row, std::string* problem)> accept;
  // Told of each malformed event: where ("line 3", "element 2") and why.
  std::function<void(const std::string& where, const std::string& why)> malformed;
};

// Why a body was too large (HTTP 413) for its Content-Type: a form (curl's default for --data)
// has a limit of its own.
std::string TooLargeBody(std::string_view content_type);

// Appends the events of `body` to `batch` at time `now`, a malformed one leaving no row. Returns
// how many were malformed, with the first five in *problems ("line 2: ...; line 5: ..."); an
// error when a body that starts as an array of events is not one.
Result<size_t> DecodeEventBody(std::string_view body, const EventBody& how, int64_t now,
                               Batch* batch, std::string* problems);

}  // namespace sluice::connectors
