// A table that lives in a store (Redis, PostgreSQL: plan::ConnectorConfig::backs_table): the
// table's own rows (exec::Table) are a cache of the store's, filled by looking up the keys a batch
// needs, one round trip per batch, and kept up to 'cache.size' rows for up to 'cache.ttl'. A key
// the store has no row for is remembered as absent too. The app's own writes go into the cache
// (and to the store, through its sink), so the app reads what it wrote while it is cached.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sluice/batch.h"
#include "sluice/status.h"

namespace sluice::exec {

class Table;

// Where a table's rows live: lookups by key in the store. Thread-safe.
class TableStore {
 public:
  virtual ~TableStore() = default;
  // The rows of the keys in `keys` (rows of the table's schema whose primary key columns are
  // set): found[i] says whether the store has a row for key i, which is then row i of `rows`
  // (reset to the table's schema, one row per key). Blocks: one round trip where the store
  // allows. IoError: the store may answer later.
  virtual Status Lookup(const Batch& keys, Batch* rows, std::vector<uint8_t>* found) = 0;
  // What it reads, for messages: "redis://127.0.0.1:6379/0".
  virtual std::string where() const = 0;
};

struct TableCacheOptions {
  int64_t max_rows = 10'000;  // 'cache.size'; the keys a batch needs stay until it is done
  int64_t ttl_ms = 60'000;    // 'cache.ttl'; 0: until evicted by size
  // A lookup that fails with an IoError is tried again ('retry.max'; -1: until the store
  // answers or the app stops, which is backpressure), after a backoff that doubles from
  // 'retry.backoff.initial' up to 'retry.backoff.max'.
  int64_t retries = -1;
  int64_t backoff_ms = 100;
  int64_t backoff_max_ms = 10'000;
  std::function<bool()> stopping;  // true once the app stops: no more retries
  // True when the table's sink has written everything pushed to it. Until then a row the app
  // wrote stays cached, whatever the size, the TTL or a refresh say: the store does not have it
  // yet. Null: never (the app's rows stay).
  std::function<bool()> sink_drained;
};

// Cache counters, for Stats().
struct TableCacheStats {
  uint64_t hits = 0, misses = 0, lookups = 0, failed = 0;
  uint64_t rows = 0;  // cached now (present or absent)
};

class TableCache {
 public:
  // The table's writes reach the store through the sink on its changelog (the runtime's).
  TableCache(Table* table, std::unique_ptr<TableStore> store, TableCacheOptions options);

  // The keys that a batch needs, cached until Release.
  class Pins {
    friend class TableCache;
    std::vector<std::string> keys_;
  };

  // Makes the rows whose primary key is columns `columns` (in key order) of the rows of `in`
  // known to the table: the keys that are not cached, or older than the TTL (with `refresh`,
  // every key), are looked up in the store in one round trip; each stays cached until
  // Release(pins). Takes the table's lock only briefly, never while the store answers. An error
  // when the store cannot answer after the retries. Release(pins) in every case.
  Status Acquire(const Batch& in, const std::vector<int>& columns, bool refresh, Pins* pins);
  void Release(Pins* pins);
  // A writer's batch of changes: Writing() (with the table's lock), then Wrote() for each row it
  // wrote (the table's row of that key, of row `row` of `rows`, is now the newest), then, once
  // it has pushed the changes to the table's sink, Pushed().
  void Writing() { unpushed_.fetch_add(1, std::memory_order_acq_rel); }
  void Wrote(const Batch& rows, size_t row);
  void Pushed() { unpushed_.fetch_sub(1, std::memory_order_acq_rel); }
  TableCacheStats Stats() const;
  std::string where() const { return store_->where(); }
  const Table& table() const { return *table_; }

 private:
  struct Entry {
    int64_t fetched_ms = 0;  // when the store was read, or the app wrote it
    uint64_t written = 0;    // the write_seq_ of the app's last write; 0: none
    uint32_t pins = 0;
  };
  // Require the table's lock.
  // Whether `e` holds a write of the app that the store may not have yet.
  bool Unwritten(const Entry& e) const { return e.written > durable_; }
  void NoteDrained();
  void Pin(const std::string& key, Pins* pins);
  Entry& EntryOf(const std::string& key);
  void EvictLocked();

  Table* table_;
  const std::unique_ptr<TableStore> store_;
  const TableCacheOptions options_;
  const std::vector<int>& primary_key_;
  // Guarded by the table's lock.
  absl::flat_hash_map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // every entry's key, first cached first: evicted in turn
  uint64_t write_seq_ = 0;
  uint64_t durable_ = 0;  // the app's writes up to this one are in the store
  // Batches written into the cache and not yet pushed to the sink (Writing, then Pushed).
  std::atomic<int> unpushed_{0};
  TableCacheStats stats_;
};

}  // namespace sluice::exec
