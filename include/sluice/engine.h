// Sluice's embedding API: load an app from its text, send events into its streams, receive what
// its queries insert, start and stop it.
//
//   auto app = sluice::AppRuntime::Load(text);            // errors as values, never exceptions
//   (*app)->AddCallback("Alerts", [](const sluice::OutputBatch& out) { ... });
//   sluice::InputHandler* trades = (*app)->GetInputHandler("Trades");
//   (*app)->Start();
//   trades->Send(ts, {"AAPL", 101.5, int64_t{300}});
//   (*app)->Shutdown();
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/app_info.h"
#include "sluice/batch.h"
#include "sluice/clock.h"
#include "sluice/env.h"
#include "sluice/metrics.h"
#include "sluice/status.h"
#include "sluice/types.h"

namespace sluice {

struct AppOptions {
  // Name of the app's source in error messages ("app.sql:3:7: ...").
  std::string file_name = "<app>";
  // Relative paths in WITH ('path'=...) resolve against this directory (the CLI gives the app
  // file's); empty: the working directory.
  std::string base_dir;
  // Event-time (playback) mode: the clock is driven by the events' timestamps and AdvanceTime,
  // so that results are identical on every run. Otherwise the clock is `clock` (wall time).
  bool playback = false;
  // Start the sources and sinks that WITH (...) attaches. Off for embedding and replay.
  bool start_connectors = false;
  // The live clock; null means the system clock. Must outlive the runtime.
  const Clock* clock = nullptr;
  // Shutdown waits this long for async queues to drain; what is left is counted and reported.
  int64_t shutdown_timeout_ms = 5000;
  // WaitForSources() finishes the input (FinishInput()) once every finite source (a file, stdin,
  // a generator with a count) has ended by itself, so that every open window fires and the
  // results are complete. False keeps what has not closed open until shutdown
  // (`--no-final-flush`). An embedder sending events itself calls FinishInput() directly.
  bool final_flush = true;
  // Sinks write each row with its change kind (`--changelog`): {"op":"+U","data":{...}} in JSON,
  // the kind as the first field in CSV.
  bool changelog = false;

  // Durable state (docs/state.md). Checkpoints go into `state_dir` (`--state-dir`); empty: none.
  // Started with a complete checkpoint there, the app restores it and its sources resume where
  // it was taken. Live apps only (playback has SnapshotState).
  std::string state_dir;
  // Between periodic checkpoints; 0: the app's SET 'checkpoint.interval', else 10 s; negative:
  // only on demand (Checkpoint()) and at shutdown.
  int64_t checkpoint_interval_ms = 0;
  // Complete checkpoints kept; 0: the app's SET 'checkpoint.retain', else 3.
  int checkpoint_retain = 0;
  // Start empty, ignoring the stored checkpoints (they stay on disk until pruned) (`--fresh`).
  bool fresh = false;
  // Restore what fits of a checkpoint taken before the app was edited, dropping the state of
  // queries it no longer has or whose state no longer fits (`--allow-state-drop`); without it
  // such a restore is refused (see AppRuntime::PlanRestore).
  bool allow_state_drop = false;
  // The file operations of checkpoints; null: Env::Default(). Must outlive the runtime.
  Env* env = nullptr;
};

// How a restore from the newest checkpoint treats each query and table of an (edited) app.
struct RestoreEntry {
  enum class Outcome {
    kRestored,      // its state is in the checkpoint and fits
    kStartsEmpty,   // the checkpoint has no state for it (a new query)
    kDropped,       // state in the checkpoint for something the app no longer has
    kIncompatible,  // its key, window, aggregates or columns changed: the state does not fit
  };
  std::string kind;  // "query" or "table"
  std::string name;  // a query's name (and its id when that differs) or a table's
  Outcome outcome = Outcome::kRestored;
  std::string why;  // for kDropped and kIncompatible
};
struct RestorePlan {
  uint64_t checkpoint = 0;  // its id; 0 when the state dir has none (everything starts empty)
  std::vector<RestoreEntry> entries;
  // Whether Start() refuses it without AppOptions::allow_state_drop.
  bool refused() const {
    for (const RestoreEntry& e : entries)
      if (e.outcome == RestoreEntry::Outcome::kDropped ||
          e.outcome == RestoreEntry::Outcome::kIncompatible)
        return true;
    return false;
  }
};

// What a query inserted into a stream: one batch of rows of `schema`, with their timestamps and
// change kinds (batch->kind(row): +I, -U, +U, -D). A table's stream is its changelog.
struct OutputBatch {
  std::string_view stream;
  const Schema* schema = nullptr;
  const Batch* batch = nullptr;
};
using OutputCallback = std::function<void(const OutputBatch&)>;

// A live look at a stream (AppRuntime::Tap): its callback sees every batch inserted into the
// stream from when Tap returns until the StreamTap is destroyed; after the destructor returns it
// is not called again. Destroy it before the runtime.
class StreamTap {
 public:
  virtual ~StreamTap() = default;
};

// Sends events into one stream. Owned by the runtime; valid until it is destroyed. Any thread may
// send: each query processes one batch at a time (a lock per batch, not per event). For a
// synchronous stream the queries run on the sender's thread before Send returns; for an @Async
// stream the events are queued (its backpressure strategy decides what a full queue does) and
// its workers run the queries. SendBatch is the fast path.
class InputHandler {
 public:
  virtual ~InputHandler() = default;
  virtual const std::string& stream() const = 0;
  virtual const Schema& schema() const = 0;
  // The attribute that gives each event its time (WITH ('event.time.field'=...)), or -1 when
  // events take the time they are sent with.
  virtual int event_time_attribute() const = 0;
  // One event at `timestamp` (ms) with values in attribute order, converted to the attributes'
  // types as SQL assignment does. Returns InvalidArgument (and counts the event as malformed)
  // when a value cannot be converted or the count is wrong; the event is not processed.
  virtual Status Send(int64_t timestamp, std::span<const Value> values) = 0;
  Status Send(int64_t timestamp, std::initializer_list<Value> values) {
    return Send(timestamp, std::span<const Value>(values.begin(), values.size()));
  }
  // Counts `n` inputs meant for this stream that were rejected before they could be sent (a line
  // that does not decode), so that Stats() shows them as malformed with every other input error.
  virtual void CountMalformed(uint64_t n = 1) = 0;
  // A batch whose columns have the stream's types (Batch(schema()) makes one). With an
  // event-time attribute, an event whose attribute gives no time is not processed and is counted
  // as malformed; the others are, and the result is InvalidArgument naming the first rejected row.
  virtual Status SendBatch(const Batch& batch) = 0;
};

// What AppRuntime::Execute answers: rows (SHOW, DESCRIBE, a pull query) or text (EXPLAIN).
struct StatementResult {
  Schema schema;
  Batch rows;  // of `schema`
  std::string text;
};

class AppRuntime {
 public:
  // Parses, checks and plans `app`. On error returns InvalidArgument whose message lists every
  // problem as "file:line:col: message" with the source line and a caret; nothing is started.
  static Result<std::unique_ptr<AppRuntime>> Load(std::string_view app,
                                                  const AppOptions& options = {});
  // Checks `app` as Load does, without building a runtime. Warnings (formatted) go to *warnings.
  static Status Check(std::string_view app, const AppOptions& options,
                      std::string* warnings = nullptr);

  virtual ~AppRuntime() = default;

  // The input of `stream`, or null when the app has no such stream.
  virtual InputHandler* GetInputHandler(std::string_view stream) = 0;
  // Calls `callback` with every batch inserted into `stream`, before the queries that read it see
  // the batch. Callbacks run on the thread that processes the batch (a worker, for an @Async
  // stream), one batch at a time per stream. After Start() it is refused (InvalidArgument): the
  // threads that call the callbacks are running.
  virtual Status AddCallback(std::string_view stream, OutputCallback callback) = 0;
  // Like AddCallback, for every stream that queries (or the engine, for fault streams) insert into.
  // Also refused after Start().
  virtual Status AddOutputCallback(OutputCallback callback) = 0;
  // Like AddCallback, at any time, also while the app runs; the tap ends when the returned
  // handle is destroyed. `callback` runs on the thread that processes the batch (for an @Async
  // stream, on several workers at once): it must copy what it needs and return, never block, and
  // never create or destroy a tap. With no tap a stream pays one relaxed load per batch.
  virtual Result<std::unique_ptr<StreamTap>> Tap(std::string_view stream,
                                                 OutputCallback callback) = 0;
  // Starts connectors (when AppOptions::start_connectors). Idempotent.
  virtual Status Start() = 0;
  // Playback: moves event time to `ms` with no event. Earlier times are ignored.
  virtual Status AdvanceTime(int64_t ms) = 0;
  // Declares the end of the input, as Flink's final watermark does at the end of bounded input:
  // event time advances to the end, so that every open window, session, NOT ... FOR, pending
  // pattern deadline and output-rate period fires and the results are complete. Events sent
  // afterwards are refused. Idempotent; returns the app's status.
  virtual Status FinishInput() = 0;
  // Blocks until every finite source (files, generators with a count) has finished and its events
  // are processed, or until the app fails; then, when they all ended by themselves and
  // AppOptions::final_flush is set, finishes the input (FinishInput). Returns the app's status.
  virtual Status WaitForSources() = 0;
  // The state of every operator, table and clock (Core 2's state contract, binary and versioned),
  // taken between batches. Playback only for now: a live app's consistent cut needs checkpoint
  // barriers (NotSupported).
  virtual Result<std::string> SnapshotState() = 0;
  // Replaces the app's state with what SnapshotState wrote, in an app loaded from the same text
  // (queries match by id: @info(name=...), the CTAS/CSAS target, or a fingerprint of the text).
  // A query of the app that the state does not have starts empty; state for a query the app does
  // not have, or that no longer fits its query, is an error that names it.
  virtual Status RestoreState(std::string_view state) = 0;
  // Before Start(): how the newest checkpoint in AppOptions::state_dir would be restored into this
  // app, query by query and table by table, without restoring it (`sluice check --state-dir`).
  virtual Result<RestorePlan> PlanRestore() = 0;
  // Takes a checkpoint into AppOptions::state_dir now (after Start()): every operator's state
  // after the same prefix of every input, with the sources' positions and the sinks' lengths.
  // Returns its id. A failure (a write error, a full disk) is counted and leaves the previous
  // checkpoints valid; the app runs on.
  virtual Result<uint64_t> Checkpoint() = 0;
  // Stops sources, drains async queues (upstream first, within shutdown_timeout_ms), takes a
  // last checkpoint (with a state dir), flushes sinks and stops the app. Idempotent. Returns the
  // app's status.
  virtual Status Shutdown() = 0;
  // OK while running normally; the error of @onError(action='fail') or of a failed connector.
  virtual Status status() const = 0;

  virtual std::string Explain() const = 0;
  // What the app is made of: streams, tables, fault streams, queries and their operators.
  virtual AppInfo Describe() const = 0;
  // The rows of table `table` now, as a batch of its schema, taken under the table's lock: the
  // row whose primary key is `key` (one value per key column, in key order, converted as Send
  // converts), or, with an empty `key`, every row in the table's order up to `limit`. A table
  // that lives in a store (Redis, PostgreSQL) is read there, not here: InvalidArgument says so.
  virtual Result<Batch> ReadTable(std::string_view table, std::span<const Value> key,
                                  size_t limit = SIZE_MAX) const = 0;
  // Runs one statement against the app as it runs (docs/server.md): SHOW STREAMS | TABLES |
  // QUERIES | SOURCES | SINKS, DESCRIBE <stream or table>, EXPLAIN [ANALYZE] <query>, or a pull
  // query SELECT ... FROM <table> [WHERE ...] [LIMIT n] (by the table's key when WHERE gives it).
  // Errors are InvalidArgument, as "<statement>:1:8: ..." with a caret under the statement.
  virtual Result<StatementResult> Execute(std::string_view statement) = 0;
  virtual const Schema* GetSchema(std::string_view stream) const = 0;
  virtual std::vector<std::string> StreamNames() const = 0;
  // The tables; AddCallback on one gets its changelog (+I, -U and +U, -D).
  virtual std::vector<std::string> TableNames() const = 0;
  // Counters now, from any thread; not from inside an output callback (a query's state size is
  // read under its lock, which the query holds while its callbacks run).
  virtual AppStats Stats() const = 0;
  // Warnings found while loading, formatted like errors.
  virtual const std::string& warnings() const = 0;
};

}  // namespace sluice
