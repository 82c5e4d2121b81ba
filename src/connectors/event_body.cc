#include "connectors/event_body.h"

#include <vector>

#include "connectors/csv_codec.h"

namespace sluice::connectors {

std::string TooLargeBody(std::string_view content_type) {
  return "the body is too large for its Content-Type" +
         std::string(content_type == "application/x-www-form-urlencoded"
                         ? " (a form, curl's default for --data, is limited to 8 KiB): send it as "
                           "application/x-ndjson or application/json"
                         : " (64 MiB at most)");
}

Result<size_t> DecodeEventBody(std::string_view body, const EventBody& how, int64_t now,
                               Batch* batch, std::string* problems) {
  std::vector<std::string_view> events;
  bool array = false;
  if (!how.csv) {
    size_t first = body.find_first_not_of(" \t\r\n");
    // A body that is an array of objects or arrays is a batch; `[1,"a"]` alone is one event.
    if (first != std::string_view::npos && body[first] == '[') {
      size_t next = body.find_first_not_of(" \t\r\n", first + 1);
      array = next != std::string_view::npos &&
              (body[next] == '{' || body[next] == '[' || body[next] == ']');
    }
  }
  if (array) {
    Status st = SplitJsonArray(body, &events);
    if (!st.ok()) {
      if (how.malformed) how.malformed("body", st.message());
      return Status::InvalidArgument("the body is not a JSON array of events: " + st.message());
    }
  } else {
    for (size_t start = 0; start < body.size();) {
      size_t nl = body.find('\n', start);
      if (nl == std::string_view::npos) nl = body.size();
      events.push_back(body.substr(start, nl - start));
      start = nl + 1;
    }
  }
  std::vector<std::string> fields;
  size_t bad = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    std::string_view e = events[i];
    if (!e.empty() && e.back() == '\r') e.remove_suffix(1);
    if (e.find_first_not_of(" \t") == std::string_view::npos) continue;
    size_t row = batch->AddRow(now);
    Status st;
    if (how.csv) {
      st = SplitCsv(e, how.delimiter, &fields)
               ? DecodeCsvFields(fields, {}, *how.schema, batch, row)
               : Status::InvalidArgument("unterminated quote");
    } else {
      st = how.json->Decode(e, batch, row);
    }
    std::string problem;
    if (st.ok() && how.accept && !how.accept(batch, row, &problem))
      st = Status::InvalidArgument(problem);
    if (st.ok()) continue;
    batch->Resize(row);
    std::string where = (array ? "element " : "line ") + std::to_string(i + 1);
    if (how.malformed) how.malformed(where, st.message());
    if (bad++ < 5) *problems += (problems->empty() ? "" : "; ") + where + ": " + st.message();
  }
  return bad;
}

}  // namespace sluice::connectors
