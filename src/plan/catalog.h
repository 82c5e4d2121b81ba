// The streams and tables of an app after definition: names, schemas and the settings their
// annotations and WITH properties give (async, error action, event time, connector). Built by the
// binder; immutable once the app is planned.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/types.h"
#include "sql/ast.h"

namespace sluice::plan {

enum class Backpressure { kBlock, kDrop, kExponentialBackoff };

struct AsyncConfig {
  bool enabled = false;
  int buffer_size = 1024;
  int workers = 1;
  int batch_size_max = 256;
  Backpressure backpressure = Backpressure::kBlock;
  int64_t initial_delay_ms = 1;
  int64_t max_delay_ms = 100;
};

enum class ErrorAction { kDefault, kStream, kLog, kDrop, kFail };

enum class TimeFormat { kEpochMillis, kEpochSeconds, kIso8601, kPattern };

// What happens to an event that arrives after its window closed ('late.data').
enum class LateData { kDefault, kDrop, kFault, kUpdate };

struct EventTimeConfig {
  int field = -1;  // attribute index; -1 when the stream has no event-time field
  // 'event.time.source'='kafka': each event's time is its Kafka record's timestamp.
  bool from_record = false;
  TimeFormat format = TimeFormat::kEpochMillis;
  std::string pattern;  // kPattern
  int64_t allowed_lateness_ms = 0;
  LateData late_data = LateData::kDefault;  // default: the fault stream if any, else a log line
};

// A connector attached with WITH ('type'='source'|'sink', 'connector'=..., ...).
struct ConnectorConfig {
  bool is_source = true;
  std::string connector;  // stdin, stdout, file, generator, ...
  std::string format = "json";
  std::map<std::string, std::string> properties;  // every WITH entry, keys as written
  sql::Loc loc;
  // A table on a store ('redis', 'postgres') without 'type': its rows live in the store, which
  // joins look up (exec/table_cache.h) and its writes go to. Such a table holds a cache of at
  // most `cache_rows` rows ('cache.size'), each kept `cache_ttl_ms` ('cache.ttl'; 0: forever).
  bool backs_table = false;
  int64_t cache_rows = 10'000;
  int64_t cache_ttl_ms = 60'000;
};

struct StreamDef {
  std::string name;
  Schema schema;
  bool is_table = false;
  bool is_fault_stream = false;  // !S
  bool auto_defined = false;     // created by INSERT INTO an undefined name
  sql::Loc loc;
  AsyncConfig async;
  ErrorAction on_error = ErrorAction::kDefault;
  EventTimeConfig event_time;
  // Only queries insert into it, and they read only streams that move with event time: so does
  // it (Flink: a time attribute survives a query), with the largest of their lateness.
  bool event_time_derived = false;
  std::vector<int> primary_key;  // tables
  // A table loaded from a source: how long Start() waits for its load ('table.load.timeout').
  int64_t load_timeout_ms = 60'000;
  int partition_key = -1;  // 'partition.key': spreads an async stream over its workers
  std::unique_ptr<ConnectorConfig> connector;
  std::string fault_stream;  // name of !S when on_error is kStream

  // Whether its queries move with its events' times rather than the clock, live.
  bool moves_with_event_time() const {
    return event_time.field >= 0 || event_time.from_record || event_time_derived;
  }
};

class Catalog {
 public:
  StreamDef* Find(std::string_view name);
  const StreamDef* Find(std::string_view name) const;
  // Adds a definition; the caller checks that the name is free.
  StreamDef* Add(std::unique_ptr<StreamDef> def);
  std::vector<std::string> Names() const;
  const std::vector<std::unique_ptr<StreamDef>>& all() const { return defs_; }

 private:
  std::vector<std::unique_ptr<StreamDef>> defs_;
  std::map<std::string, StreamDef*, std::less<>> by_name_;
};

}  // namespace sluice::plan
