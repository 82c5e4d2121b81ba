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
  // With more than one worker: the events each was given (an uneven split is key skew).
  std::vector<uint64_t> worker_events;
};

struct QueryStats {
  std::string name;
  std::string id;  // stable (QueryInfo::id)
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
  int instances = 1;  // one per worker of its @Async input when it is partitioned there
  // What its operators hold (every instance): keys (groups, partitions, distinct rows, events a
  // join holds) and about how many bytes.
  uint64_t state_keys = 0;
  uint64_t state_bytes = 0;
  bool stateful = false;  // it keeps anything between events
};

// A source attached by WITH ('type'='source', ...): how far it has read.
struct SourceStats {
  std::string stream;
  std::string connector;       // file, stdin, generator, kafka
  std::string where;           // the file's path, the topic; empty for stdin and the generator
  uint64_t records = 0;        // lines, messages or generated events read so far
  uint64_t bytes = 0;          // bytes read (files, stdin, Kafka values)
  uint64_t total_bytes = 0;    // a file's size (0: unknown, or not a file)
  uint64_t total_records = 0;  // a generator's count (0: no count)
  bool finished = false;       // it reached the end of its input
};

// A sink attached by WITH ('type'='sink', ...).
struct SinkStats {
  std::string stream;
  std::string connector;  // file, stdout, kafka, redis
  std::string where;      // the file's path, "stdout", the topic, the store's URL
  uint64_t written = 0;   // rows written
  // The sink runtime's (stores such as Redis; zero for the others):
  uint64_t queued = 0;      // records waiting or being written now
  uint64_t failed = 0;      // records whose write failed for good ('retry.max' spent)
  uint64_t retried = 0;     // write attempts repeated after a failure
  uint64_t dropped = 0;     // records dropped because the queue was full ('queue.full'=drop)
  uint64_t left = 0;        // records not written when the shutdown timed out
  uint64_t batches = 0;     // writes that succeeded
  double batch_p50_us = 0;  // time to write one batch, retries included
  double batch_p99_us = 0;
  std::string breaker;          // "closed", "open", "half-open"; empty without a runtime
  uint64_t breaker_opened = 0;  // times the circuit breaker opened
  std::string last_error;       // of the latest failed attempt
};

// A table loaded from a source (CREATE TABLE ... WITH ('type'='source', ...)): its load's progress.
struct TableLoadStats {
  std::string table;
  std::string connector;     // file, kafka, stdin, generator
  std::string where;         // the file's path, the topic
  std::string state;         // "loading", "ready" (loaded; updates go on), "failed"
  uint64_t rows = 0;         // rows in the table now
  uint64_t records = 0;      // records read so far: the load's, then the updates'
  uint64_t bytes = 0;        // bytes read so far
  uint64_t total_bytes = 0;  // a file's size when the load started (0: unknown)
  uint64_t rejected = 0;     // records not loaded: malformed, or a NULL key
  double records_per_s = 0;  // while loading: so far; once loaded: the load's average
  int64_t eta_ms = -1;       // while loading a file: the estimated time left; -1: unknown
  int64_t load_ms = -1;      // how long the load took; -1: not loaded yet
  bool waited_out = false;   // the streams started before it was loaded ('table.load.timeout')
  std::string error;         // why it failed
};

// A table that lives in a store (Redis, PostgreSQL): the rows it keeps at hand and its lookups.
struct StoreTableStats {
  std::string table;
  std::string connector;  // redis, postgres
  std::string where;      // the store, without a password
  uint64_t cached = 0;    // keys cached now (rows, and keys the store has no row for)
  uint64_t hits = 0;      // keys a batch needed that were cached
  uint64_t misses = 0;    // keys looked up in the store
  uint64_t lookups = 0;   // round trips to the store
  uint64_t failed = 0;    // lookups that failed after their retries
};

// Checkpoints (AppOptions::state_dir); all zero without one.
struct CheckpointStats {
  bool enabled = false;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t last_id = 0;          // the newest complete checkpoint, 0: none yet
  int64_t last_duration_us = 0;  // from the pause to the manifest's rename
  int64_t last_pause_us = 0;     // how long the entry points were stopped
  uint64_t last_bytes = 0;       // on disk, compressed
  int64_t last_age_ms = -1;      // since the newest complete checkpoint; -1: none
  uint64_t restored_id = 0;      // the checkpoint the app started from; 0: it started empty
  int64_t restore_us = 0;        // reading and restoring it
  std::string last_error;        // of the latest failure
};

// A metric the app declares with `-- @metric` comments above a query (docs/server.md).
struct UserMetricStats {
  std::string name;
  std::string type;  // "counter", "gauge", "histogram"
  std::string help;
  std::string query;                // the query's id
  std::vector<std::string> labels;  // label names
  std::vector<double> bounds;       // a histogram's bucket upper bounds
  struct Series {
    std::vector<std::string> values;  // one per label
    double value = 0;                 // a counter's total, a gauge's latest value
    std::vector<uint64_t> buckets;    // a histogram's counts per bound (not cumulative)
    double sum = 0;
    uint64_t count = 0;
  };
  std::vector<Series> series;
  uint64_t dropped = 0;  // rows not counted: their labels would pass @metric_max_series
};

struct AppStats {
  std::vector<StreamStats> streams;
  std::vector<QueryStats> queries;
  // When connectors are started, once Start() has returned.
  std::vector<SourceStats> sources;
  std::vector<SinkStats> sinks;
  std::vector<TableLoadStats> tables;  // the tables loaded from sources
  std::vector<StoreTableStats> store_tables;
  std::vector<UserMetricStats> metrics;
  CheckpointStats checkpoints;
};

}  // namespace sluice
