// Counters of a running app, as a snapshot. Every event that enters a query is accounted for:
// for a stateless query events_in = events_out + filtered + faulted + dropped; for a query with a
// window or aggregates, events_out counts the rows it produced, and every input event is either
// filtered, faulted, dropped or taken into its window or aggregate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct StreamStats {
  std::string name;
  uint64_t events = 0;     // events published into the stream
  uint64_t malformed = 0;  // input lines or sends rejected before entering it
};

struct QueryStats {
  std::string name;
  uint64_t events_in = 0;
  uint64_t events_out = 0;
  uint64_t filtered = 0;  // removed by WHERE or a stream filter
  uint64_t faulted = 0;   // failed and sent to the fault stream
  uint64_t dropped = 0;   // failed and dropped (@onError log/drop/fail)
  uint64_t errors = 0;    // failed expressions that became NULL (no @onError)
  uint64_t late = 0;      // arrived after their window closed (counted in faulted or dropped)
};

struct AppStats {
  std::vector<StreamStats> streams;
  std::vector<QueryStats> queries;
};

}  // namespace sluice
