// Counters of a running app, as a snapshot. Every event that enters a query is accounted for, in
// every kind of query: events_in = events_out + filtered + faulted + dropped, where events_out
// counts the events it took (into its output, or into its window, aggregate, join side or pattern).
// rows_out counts the rows it inserted into its target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct StreamStats {
  std::string name;
  uint64_t events = 0;     // events delivered to the stream's consumers
  uint64_t malformed = 0;  // input lines or sends rejected before entering it
  // @Async streams only:
  bool async = false;
  uint64_t queued = 0;        // events accepted into its queues
  uint64_t dropped = 0;       // dropped by its backpressure strategy
  uint64_t left = 0;          // still queued when a shutdown timed out
  uint64_t backpressure = 0;  // times a producer found a queue full
  uint64_t overflowed = 0;    // fed back by a loop into a full queue: held beyond its capacity
  uint64_t queue_depth = 0;   // events queued now
  uint64_t queue_capacity = 0;
  double queue_max_fill = 0;                  // the highest fill seen, 0..1
  double p50_us = 0, p95_us = 0, p99_us = 0;  // from enqueue to processed
  int health = 100;  // 0..100: queue over 80% full, drops and errors lower it
};

struct QueryStats {
  std::string name;
  uint64_t events_in = 0;
  uint64_t events_out = 0;  // taken: into the output, or the window, aggregate, join or pattern
  uint64_t filtered = 0;    // removed by WHERE, a stream filter, DISTINCT, or matched by nothing
  uint64_t faulted = 0;     // failed and sent to the fault stream
  uint64_t dropped = 0;     // failed, late or refused, and dropped (@onError log/drop/fail)
  uint64_t rows_out = 0;    // rows inserted into the target
  // Failed expressions whose value became NULL (no @onError), and rows dropped after a join or a
  // pattern (they are not input events).
  uint64_t errors = 0;
  uint64_t late = 0;  // arrived after their window closed (counted in faulted or dropped)
  double p50_us = 0, p95_us = 0, p99_us = 0;  // time to process one input batch
  int health = 100;                           // 0..100: more than 5% of events failing lowers it
};

struct AppStats {
  std::vector<StreamStats> streams;
  std::vector<QueryStats> queries;
};

}  // namespace sluice
