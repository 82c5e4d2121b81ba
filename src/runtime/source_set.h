// The app's sources (connectors/connector.h) and the threads that run them. Each emit passes the
// checkpoint gate, is a tracked batch (exec/ack.h), and goes into its stream's input or, for a
// table loaded from a source, into its TableLoader; with checkpoints, the source's position is
// recorded once the batch is processed, so that a checkpoint has both or neither. The lists are
// made before any source runs and do not change after MarkListed(): Stats() reads them then.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "exec/ack.h"
#include "runtime/entry_gate.h"
#include "runtime/junction.h"
#include "runtime/stream_input.h"
#include "runtime/table_loader.h"
#include "sluice/metrics.h"

namespace sluice::runtime {

class SourceSet {
 public:
  // What the sources need of the app.
  struct Hooks {
    const Clock* clock = nullptr;
    EntryGate* gate = nullptr;                // null: no checkpoints
    std::function<bool()> stopping;           // the app is stopping or has failed
    std::function<bool()> shutting_down;      // the app is stopping (a failure is not a stop)
    std::function<Status()> status;           // the app's status
    std::function<void(const Status&)> fail;  // fails the app
  };
  explicit SourceSet(Hooks hooks) : hooks_(std::move(hooks)) {}
  SourceSet(const SourceSet&) = delete;
  SourceSet& operator=(const SourceSet&) = delete;
  ~SourceSet() { Join(); }

  // Lists `src`, the source of `def` (whose events reach `junction`): into `input` for a stream,
  // or, for a table, into a loader of `table` whose changes go to `changelog`. `resume`: the
  // position a restore resumed it at, or null. Returns its index.
  size_t Add(std::unique_ptr<connectors::Source> src, const plan::StreamDef* def,
             StreamJunction* junction, StreamInput* input, exec::Table* table,
             exec::BatchConsumer* changelog, const std::string* resume);
  // The lists are complete: Stats() may read them from any thread.
  void MarkListed() { listed_.store(true, std::memory_order_release); }
  bool listed() const { return listed_.load(std::memory_order_acquire); }

  // Runs source `i` on a thread of its own. After MarkListed().
  void Launch(size_t i);
  bool launched_any() const { return !threads_.empty(); }
  // Waits for every launched source's thread: one joins, the others wait for it (the app sets
  // its stopping flag first, so that the sources return).
  void Join();

  std::vector<TableLoader*> loaders() const;
  // Every source's position that the cut has, as "source:<stream>".
  void AppendPositions(std::vector<std::pair<std::string, std::string>>* out) const;
  // A checkpoint holding `positions` is complete.
  void Committed(const std::vector<std::pair<std::string, std::string>>& positions);
  // The sources' progress and the tables' loads. After MarkListed().
  void AppendStats(AppStats* s) const;

 private:
  struct Entry {
    std::unique_ptr<connectors::Source> source;
    const plan::StreamDef* def = nullptr;
    StreamJunction* junction = nullptr;
    StreamInput* input = nullptr;         // a stream's
    std::unique_ptr<TableLoader> loader;  // a table's
    std::unique_ptr<exec::AckTracker> acks = std::make_unique<exec::AckTracker>();
    EntryGate::Door* door = nullptr;
    std::string position;  // once its last batch was processed
    std::string where;     // the source's file, topic, URL (log lines of its batches say it)
  };
  // What source `e` hands on: into its stream or its table.
  Status Emit(Entry& e, const Batch& batch, std::string_view position);

  Hooks hooks_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::thread> threads_;
  std::mutex join_mu_;  // joining the threads
  std::atomic<bool> listed_{false};
};

}  // namespace sluice::runtime
