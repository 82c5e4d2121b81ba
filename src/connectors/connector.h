// Sources and sinks attached to streams by WITH ('type'='source'|'sink', 'connector'=...).
// A source runs on its own thread and hands batches to the engine through SourceContext::emit;
// a sink is a consumer of its stream's junction. Bad input lines never stop a source: each is
// counted and reported with its line number.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "exec/operator.h"
#include "exec/staged_work.h"
#include "plan/catalog.h"
#include "sluice/batch.h"
#include "sluice/clock.h"
#include "sluice/metrics.h"
#include "sluice/status.h"

namespace sluice::connectors {

struct SourceContext {
  // Sends a batch of the stream's schema into the engine; an error stops the source. Each row's
  // time is set: from the event-time attribute (exec::StampEventTime, rows without one reported
  // as malformed by the source), else the arrival time from `clock`. `position` is where the
  // source stands once the batch is read (what Source::Resume takes back: a checkpoint records
  // it with the state the batch led to); empty when the source cannot resume.
  std::function<Status(const Batch&, std::string_view position)> emit;
  // True once the app is shutting down; sources return promptly.
  std::function<bool()> stopping;
  // Emits are numbered 1, 2, 3... in order: every emit up to the returned number has been
  // processed all the way (its queries, and the @Async streams its results crossed). A source
  // that stores positions (Kafka offsets) stores them only up to there.
  std::function<uint64_t()> processed_through;
  // Counts and reports one malformed input record.
  std::function<void(const std::string& where, const std::string& problem)> malformed;
  const Clock* clock = nullptr;
  // The app takes checkpoints: positions matter, and a source that commits them elsewhere (a
  // Kafka group) does so only for complete checkpoints (Source::Committed).
  bool checkpoints = false;
};

// How far a source has read; written by its thread, read by any (Stats(), progress lines).
struct SourceProgress {
  std::atomic<uint64_t> records{0};        // lines, messages or generated events read so far
  std::atomic<uint64_t> bytes{0};          // bytes read (files and stdin)
  std::atomic<uint64_t> total_bytes{0};    // a file's size, when known
  std::atomic<uint64_t> total_records{0};  // a generator's count, when it has one
  std::atomic<bool> finished{false};       // it reached the end of its input
  // It has read what its input held when it started (a file to its end, every partition of a
  // topic to its end offset), and handed it on: a table it loads is loaded
  // (runtime/table_loader.h).
  std::atomic<bool> caught_up{false};
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads until the input ends (files, generators with a count) or stopping() turns true.
  virtual Status Run(SourceContext& ctx) = 0;
  // Before Run: carry on from `position` (what an emit gave), as after a restore from a
  // checkpoint. NotSupported, with the reason, for a source that cannot (stdin).
  virtual Status Resume(std::string_view position) {
    return Status::NotSupported("this source cannot resume from a checkpoint's position");
  }
  // A checkpoint holding `position` (what an emit gave) is complete. From any thread.
  virtual void Committed(std::string_view position) {}
  // What it reads, for messages: a file's path, a topic; empty for stdin and the generator.
  virtual std::string where() const { return ""; }
  const SourceProgress& progress() const { return progress_; }

 protected:
  SourceProgress progress_;
};

// How a sink is opened: with change kinds in its rows (connectors/sink_format.h), and, after a
// restore, at the position a checkpoint's Commit() returned (its output after it is cut off).
struct SinkOpen {
  bool changelog = false;
  const std::string* resume = nullptr;
};

class Sink : public exec::BatchConsumer {
 public:
  // Called once, with the error, when a write fails: the events of that batch and after are
  // lost, so the app stops (fail fast) rather than lose them silently.
  void SetFailureHandler(std::function<void(const Status&)> handler) {
    on_failure_ = std::move(handler);
  }
  // Writes what is buffered; called at shutdown.
  virtual Status Close() = 0;
  // At a checkpoint, with no push running: writes and makes durable what was pushed, and returns
  // the position that a resume (SinkOpen::resume) cuts the output back to. Empty: the sink
  // cannot take back what it wrote after a checkpoint (at-least-once after a restore).
  virtual Result<std::string> Commit() { return std::string(); }
  // The first write error, if any. Thread-safe.
  virtual Status status() const = 0;
  // Everything pushed so far has been written (or given up on). Thread-safe; false when the sink
  // cannot tell.
  virtual bool Drained() { return false; }
  // Rows written so far. Thread-safe.
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  // Its counters (stream, connector and where are the app's to fill in). Thread-safe.
  virtual SinkStats Stats() const {
    SinkStats s;
    s.written = written();
    return s;
  }
  // What it writes to, for messages: a file's path, a topic, "stdout".
  virtual std::string where() const = 0;
  // From `deadline` on (the shutdown's), a write that waits (for a broker's queue) gives up and
  // fails with what it could not deliver, so that shutdown is bounded. Thread-safe.
  void GiveUpAt(std::chrono::steady_clock::time_point deadline) {
    give_up_at_.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
  }

 protected:
  bool GivenUp() const {
    return std::chrono::steady_clock::now().time_since_epoch().count() >=
           give_up_at_.load(std::memory_order_relaxed);
  }
  // How long until it gives up, at most `cap`.
  std::chrono::milliseconds TimeLeft(std::chrono::milliseconds cap) const {
    auto left = std::chrono::steady_clock::duration(give_up_at_.load(std::memory_order_relaxed)) -
                std::chrono::steady_clock::now().time_since_epoch();
    return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(left),
                      std::chrono::milliseconds(0), cap);
  }

  std::function<void(const Status&)> on_failure_;
  std::atomic<uint64_t> written_{0};
  std::atomic<int64_t> give_up_at_{std::numeric_limits<int64_t>::max()};
};

// A sink whose writes may block (a file or a pipe, a broker's full queue). Push only encodes the
// rows into a pending buffer, under a short lock, and stages the write; the write runs from the
// thread's staged work (exec/staged_work.h), holding only this sink's write lock, so no operator
// lock is held while it waits. Rows keep the order of the pushes, whatever thread writes them.
class StagedSink : public Sink, public exec::StagedWork {
 public:
  void Push(const Batch& batch) final;
  void RunStaged() final;
  // Writes what is pending, then closes the output (CloseOutput). Idempotent.
  Status Close() final;
  Status status() const final;
  // Writes what is pending, then CommitOutput().
  Result<std::string> Commit() final;

 protected:
  // Appends row `row` of `batch`, encoded as one message, to `out`; false (nothing appended) for
  // a row that needs no message (the row an update replaces, for an upsert topic).
  virtual bool Encode(const Batch& batch, size_t row, std::string* out) = 0;
  // Writes `messages` (ends[i] is where message i ends in `bytes`); may block. An error loses
  // them all: the sink fails.
  virtual Status Write(std::string_view bytes, const std::vector<uint32_t>& ends) = 0;
  virtual Status CloseOutput() = 0;
  // Makes what was written durable; its position (see Sink::Commit).
  virtual Result<std::string> CommitOutput() { return std::string(); }
  // Records the first failure and tells the app; later writes are dropped.
  void Fail(const Status& st);

 private:
  mutable std::mutex pending_mu_;  // pending_, ends_, status_: held only briefly
  std::string pending_;
  std::vector<uint32_t> ends_;
  Status status_;
  std::mutex write_mu_;  // one writer at a time, in order; never taken inside Push
  std::string writing_;
  std::vector<uint32_t> writing_ends_;
  bool closed_ = false;  // guarded by write_mu_
};

}  // namespace sluice::connectors
