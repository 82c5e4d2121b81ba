// The machinery in front of every sink that writes to an external store (Redis today): a bounded
// queue, batches by size and by time, workers that keep each key's order, retries with
// exponential backoff and jitter, a circuit breaker, a drain at shutdown and the counters of all
// of it. A store supplies a SinkStore: how a row becomes a record, and a connection that writes
// a batch of records. Configured by WITH properties (docs/connectors.md, "The sink runtime").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/histogram.h"
#include "connectors/connector.h"

namespace sluice::connectors {

struct SinkRuntimeOptions {
  size_t queue_size = 1000;          // 'queue.size': records queued per worker
  bool drop_when_full = false;       // 'queue.full' = 'drop' (else 'block': backpressure)
  size_t batch_size = 10;            // 'batch.size': records per write
  int64_t batch_timeout_ms = 25;     // 'batch.timeout': how long a partial batch waits for more
  int workers = 1;                   // 'workers'
  int partition_column = -1;         // 'partition.key': picks the worker of an unkeyed store's rows
  int64_t retry_max = -1;            // 'retry.max': retries of one batch; -1: until it is written
  int64_t backoff_initial_ms = 100;  // 'retry.backoff.initial'
  int64_t backoff_max_ms = 10'000;   // 'retry.backoff.max'
  int64_t breaker_threshold = 5;     // 'circuit.breaker.threshold': consecutive failures
  int64_t breaker_timeout_ms = 30'000;  // 'circuit.breaker.timeout': open this long, then a probe
};

// The runtime's properties of `def`, checked (the planner reports their errors with locations:
// plan/options.cc; this repeats the checks for apps built without it).
Result<SinkRuntimeOptions> SinkRuntimeOptionsOf(const plan::StreamDef& def);

// The error of a bad property of `def`: "stream 'S': <message>".
Status SinkConfigError(const plan::StreamDef& def, const std::string& message);
// Property `key` of `def` as a duration of at least `min_ms`, in *ms; untouched when absent.
Status DurationProperty(const plan::StreamDef& def, const std::string& key, int64_t min_ms,
                        int64_t* ms);

// Records encoded for a store: for each, a change kind, a key and a value, as bytes in one buffer
// (so that queueing a record does not allocate once the buffers have grown).
class SinkRecords {
 public:
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  ChangeKind kind(size_t i) const { return records_[i].kind; }
  std::string_view key(size_t i) const {
    return std::string_view(bytes_).substr(Begin(i), records_[i].key_end - Begin(i));
  }
  std::string_view value(size_t i) const {
    return std::string_view(bytes_).substr(records_[i].key_end,
                                           records_[i].end - records_[i].key_end);
  }
  // Encoding one record: append its key to bytes(), EndKey(), its value, EndRecord(kind).
  std::string* bytes() { return &bytes_; }
  void EndKey() { key_end_ = static_cast<uint32_t>(bytes_.size()); }
  void EndRecord(ChangeKind kind) {
    records_.push_back({kind, key_end_, static_cast<uint32_t>(bytes_.size())});
  }
  // Drops a record begun but not ended.
  void Abandon() { bytes_.resize(records_.empty() ? 0 : records_.back().end); }
  // A row the store cannot write (a NULL key): counted as failed by the runtime.
  void Refuse() { ++refused_; }
  uint64_t TakeRefused() { return std::exchange(refused_, 0); }
  // Appends record `i` of `from`.
  void Append(const SinkRecords& from, size_t i);
  void Clear() {
    bytes_.clear();
    records_.clear();
  }

 private:
  struct Record {
    ChangeKind kind;
    uint32_t key_end;  // the key is [previous end, key_end), the value [key_end, end)
    uint32_t end;
  };
  uint32_t Begin(size_t i) const { return i == 0 ? 0 : records_[i - 1].end; }
  std::string bytes_;
  std::vector<Record> records_;
  uint32_t key_end_ = 0;
  uint64_t refused_ = 0;
};

// One connection to the store, owned by one worker.
class SinkConnection {
 public:
  virtual ~SinkConnection() = default;
  // Writes records [begin, end) in order, as one round trip where the store allows. An error
  // means the batch is written again (on a new connection), so a store applies records
  // idempotently where it can (SET, DEL and upserts are); except InvalidArgument: the store
  // refused the records themselves, and the sink fails.
  virtual Status Write(const SinkRecords& records, size_t begin, size_t end) = 0;
};

class SinkStore {
 public:
  virtual ~SinkStore() = default;
  // Appends row `row` of `batch` as records (none, to skip it: an upsert store skips the rows an
  // update replaces). Called on the pushing thread, one call at a time.
  virtual void Encode(const Batch& batch, size_t row, SinkRecords* out) = 0;
  // A new connection; from a worker thread (each worker has its own).
  virtual Result<std::unique_ptr<SinkConnection>> Connect() = 0;
  // What it writes to, for messages: "redis://127.0.0.1:6379/0".
  virtual std::string where() const = 0;
  // Its records' keys name what they write (a Redis key, a primary key): records of one key go
  // to one worker, in order, whatever 'partition.key' says. Otherwise 'partition.key' picks the
  // worker, or the workers take turns.
  virtual bool keyed() const = 0;
};

// A sink that runs a store behind the runtime. Push encodes and stages the rows (no waiting under
// operator locks); the staged work moves them into the workers' queues, waiting for space when
// 'queue.full' is 'block'. Commit (a checkpoint) waits until every queued record is written.
class RuntimeSink : public Sink, public exec::StagedWork {
 public:
  RuntimeSink(std::string stream, std::unique_ptr<SinkStore> store, SinkRuntimeOptions options);
  ~RuntimeSink() override;

  // Starts the workers, after a first connection has shown the store is reachable (so that a
  // wrong URL fails the run at once, with the store's reason).
  Status Open();
  void Push(const Batch& batch) override;
  void RunStaged() override;
  Status Close() override;
  Result<std::string> Commit() override;
  Status status() const override;
  bool Drained() override;
  std::string where() const override { return store_->where(); }
  SinkStats Stats() const override;

 private:
  using Clock = std::chrono::steady_clock;
  enum class Breaker { kClosed, kOpen, kHalfOpen };
  struct Worker {
    std::mutex mu;
    std::condition_variable work_cv;               // records queued, a flush asked, stopping
    std::condition_variable space_cv;              // records taken, or written (for Commit)
    std::deque<SinkRecords> queue;                 // chunks in arrival order
    size_t queued = 0;                             // records in `queue`
    size_t writing = 0;                            // records taken and not yet written
    std::chrono::steady_clock::time_point oldest;  // when the oldest queued record came
    uint64_t flushes = 0;  // asked: write what is queued without waiting for a full batch
    std::unique_ptr<SinkConnection> connection;  // the worker thread's own
    SinkRecords batch;                           // the worker thread's own
    std::thread thread;
  };

  // Moves what is pending into the queues; false when a queue had no room by `deadline` (what
  // did not fit stays in moving_, first in line for the next call).
  bool MoveToQueues(Clock::time_point deadline);
  bool Enqueue(Worker& w, SinkRecords& chunk, Clock::time_point deadline);
  void WorkerLoop(Worker& w);
  // Writes w.batch, retrying, through the breaker; false when it was given up.
  bool WriteBatch(Worker& w);
  // Waits while the breaker is open; true when this worker may attempt a write now.
  bool AwaitBreaker();
  void Succeeded();
  void FailedAttempt(const Status& st);
  std::chrono::milliseconds Backoff(int64_t attempt);
  void Fail(const Status& st);
  size_t QueuedNow() const;  // queued and being written, over every worker
  std::string LastError() const;
  bool stopping() const { return stop_.load(std::memory_order_acquire); }

  const std::string stream_;
  const std::unique_ptr<SinkStore> store_;
  const SinkRuntimeOptions options_;

  std::mutex pending_mu_;             // pending_, scratch_: held only briefly, inside Push
  std::vector<SinkRecords> pending_;  // per worker, encoded and not yet queued
  SinkRecords scratch_;
  size_t next_worker_ = 0;           // for records without a key
  std::mutex enqueue_mu_;            // pending to queues, in push order; never taken inside Push
  std::vector<SinkRecords> moving_;  // per worker, under enqueue_mu_
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};

  mutable std::mutex breaker_mu_;
  std::condition_variable breaker_cv_;
  Breaker breaker_ = Breaker::kClosed;
  bool probing_ = false;  // a half-open probe is under way
  int64_t consecutive_failures_ = 0;
  std::chrono::steady_clock::time_point open_until_;
  uint64_t breaker_opened_ = 0;
  std::string last_error_;

  mutable std::mutex status_mu_;
  Status status_;

  std::atomic<uint64_t> failed_{0}, retried_{0}, dropped_{0}, batches_{0}, left_{0};
  LatencyHistogram batch_latency_;
};

// A sink of `def` that runs `store` behind the runtime, configured by def's properties, and
// opened (its store reached once).
Result<std::unique_ptr<Sink>> OpenRuntimeSink(const plan::StreamDef& def,
                                              std::unique_ptr<SinkStore> store);

}  // namespace sluice::connectors
