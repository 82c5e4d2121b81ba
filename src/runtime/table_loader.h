// A table loaded from a source (CREATE TABLE ... WITH ('type'='source', ...)): the bulk load,
// until the source has caught up with what its input held at the start, then the incremental
// updates it reads after that. Start() waits for every table's load, up to its
// 'table.load.timeout', before it starts the streams' sources, so that their lookups find the
// rows (Velostream's stream-table load coordination). Its progress is in AppStats::tables.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "exec/table.h"
#include "plan/catalog.h"
#include "sluice/metrics.h"
#include "sluice/status.h"

namespace sluice::runtime {

class TableLoader {
 public:
  // `source` reads the table's rows; the changes go to `changelog` (the table's stream).
  TableLoader(const plan::StreamDef& def, exec::Table* table, exec::BatchConsumer* changelog,
              connectors::Source* source);

  const plan::StreamDef& def() const { return def_; }
  // What the source emits: applied to the table by key. From the source's thread. Returns how
  // many rows were not loaded (a NULL key: logged, and malformed input to the caller).
  uint64_t Apply(const Batch& rows);
  // The source stopped with `st` (OK: its input ended). From the source's thread.
  void SourceEnded(const Status& st);
  // Whether the load is over: caught up, its input ended, or failed.
  bool Loaded() const;
  bool Failed() const { return failed_.load(std::memory_order_acquire); }
  // Its source read a record that is not a row of the table (malformed, or a NULL key), and
  // reported it. From the source's thread.
  void CountRejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }
  // Start() gave up waiting for it ('table.load.timeout'): the streams started without it.
  void MarkWaitedOut() { waited_out_.store(true, std::memory_order_relaxed); }
  TableLoadStats Stats() const;

 private:
  // What the source reads, for messages: its where(), else the connector's name.
  std::string Where() const;
  // Records the load's end the first time it is seen. Thread-safe.
  void NoteLoaded() const;

  const plan::StreamDef& def_;
  exec::Table* table_;
  connectors::Source* source_;
  exec::TableLoadOp op_;
  std::chrono::steady_clock::time_point started_;
  mutable std::atomic<int64_t> load_us_{-1};       // from the start to the load's end; -1: loading
  mutable std::atomic<uint64_t> load_records_{0};  // records read by the load's end
  std::atomic<bool> failed_{false};
  std::atomic<bool> waited_out_{false};
  std::atomic<uint64_t> rejected_{0};
  mutable std::mutex error_mu_;
  std::string error_;
};

// Waits until every loader's table is loaded or failed, each at most its 'table.load.timeout'
// from now, or until `stopping()`. A table not loaded in time is logged and marked; the error
// is a failed load's, or the stop's.
Status WaitForTables(const std::vector<TableLoader*>& loaders,
                     const std::function<bool()>& stopping);

}  // namespace sluice::runtime
