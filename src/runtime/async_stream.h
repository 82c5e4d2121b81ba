// An async stream (@Async): producers hand batches to the stream's consumers through bounded
// lock-free queues and worker threads, instead of running them on the producer's thread.
//
//  - Batches, not single events, cross a queue; they come from a pool, so steady state allocates
//    nothing. A queue slot carries up to batch_size_max events; buffer_size is the slot count,
//    rounded up to a power of two (at least 2).
//  - workers=1 keeps the stream's order. With more workers, events are partitioned by a key
//    ('partition.key', else the first GROUP BY attribute of a query reading the stream) and each
//    key's order is kept; without a key, whole batches go round-robin (order across them is lost).
//    A worker owns whole key groups (common/row_key.h): a key group is given, when its first
//    event comes, to the worker that has been given the fewest events so far (it has no state
//    anywhere before that), so that a few keys spread evenly. Each worker runs its own instance
//    of every partitionable query reading the stream (exec::Partitionable), fed only by it.
//  - When a queue is full: `block` waits (no loss), `drop` drops the oldest queued events,
//    `exponentialBackoff` retries after initialDelay, doubling up to maxDelay, then drops the new
//    events. Every drop is counted.
//  - No lock is held while a producer waits for space: Push only copies the events into pooled
//    batches and stages them in the calling thread's outbox; the thread's entry point (a send, a
//    worker after delivering a batch, a timer tick) calls FlushOutbox() once its processing has
//    returned and every operator lock is released. Only then does a full queue make it wait.
//  - Streams on a loop (queries that feed events back) share a FeedbackLoop. A worker of the loop
//    never waits for a queue of its own loop - it could be waiting for itself: under `block`, what
//    it feeds back into a full queue goes to that queue's overflow (counted, held beyond
//    capacity), and producers from outside the loop wait until the overflow has drained. So the
//    loop always moves, and what enters it from outside is still held back.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/histogram.h"
#include "common/row_key.h"
#include "exec/ack.h"
#include "exec/operator.h"
#include "exec/state/state_io.h"
#include "plan/catalog.h"
#include "runtime/bounded_queue.h"
#include "runtime/entry_gate.h"
#include "runtime/junction.h"

namespace sluice::runtime {

// The async streams of one loop of queries. Counts the batches queued in the loop or being
// processed by its workers, so that shutdown can tell when the loop has come to rest.
class FeedbackLoop {
 public:
  // Waits until nothing is queued or processed in the loop, or until `deadline`; true if idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const;

 private:
  friend class AsyncStream;
  std::atomic<int64_t> in_flight_{0};
};

struct AsyncStats {
  uint64_t queued = 0;                          // events accepted into the queues
  uint64_t processed = 0;                       // events delivered to the consumers
  uint64_t dropped = 0;                         // by the backpressure strategy
  uint64_t left = 0;                            // still queued when a shutdown timed out
  uint64_t backpressure = 0;                    // times a producer found a queue full
  uint64_t overflowed = 0;                      // fed back by a loop into a full queue
  uint64_t depth = 0;                           // events queued now
  uint64_t capacity = 0;                        // slots * batch_size_max
  uint64_t p50_ns = 0, p95_ns = 0, p99_ns = 0;  // from enqueue to processed
  double max_fill = 0;                          // highest fill of a queue seen, in slots (0..1)
  double fill = 0;                              // fill now, in slots (0..1)
  int64_t over_80_ms = 0;  // how long the queues have stayed over 80% full (0: not now)
  std::vector<uint64_t> worker_events;  // given to each worker (more than one worker)
};

class AsyncStream final : public exec::BatchConsumer {
 public:
  // Delivers to `junction` from its workers. `partition_column` < 0: no key. `loop`: the loop the
  // stream is on, or null.
  AsyncStream(const plan::StreamDef& def, StreamJunction* junction, int partition_column,
              FeedbackLoop* loop);
  ~AsyncStream() override;
  AsyncStream(const AsyncStream&) = delete;
  AsyncStream& operator=(const AsyncStream&) = delete;

  // Starts the workers; each is inside `gate` (a checkpoint waits for the stream to be idle
  // instead), which may be null.
  void Start(const EntryGate* gate = nullptr);
  // Which worker owns each key group: state, since a partitioned query's instance holds the
  // groups its worker owns. Written and read with the stream idle (a checkpoint's cut, or before
  // Start); a saved table for another worker count is an error.
  void SnapshotOwners(exec::StateWriter& w) const;
  Status RestoreOwners(exec::StateReader& r);
  // A checkpoint of a loop that does not come to rest: each worker stops between two batches
  // (what it feeds back goes to overflow, it never waits); false at `deadline` (resumed then).
  bool Pause(std::chrono::steady_clock::time_point deadline);
  void Resume();
  // While paused, or before Start: the batches queued in each lane (and its overflow), in order,
  // and how many events they hold. RestoreQueued queues them again before Start.
  uint64_t SnapshotQueued(exec::StateWriter& w);
  Status RestoreQueued(exec::StateReader& r);
  // Producer side; thread-safe. Stages the events in the calling thread's outbox: they are queued
  // by the thread's exec::RunStagedWork(), once it holds no lock (exec/staged_work.h).
  void Push(const Batch& batch) override;
  // Stops taking work once the queues are empty, or at `deadline`: then what is left is counted
  // as left behind. Joins the workers. Idempotent.
  void Drain(std::chrono::steady_clock::time_point deadline);
  // Waits until nothing is queued in the stream or being processed by its workers, or until
  // `deadline`; true if idle.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline) const;
  // Counters now. Not const: it also tracks how long the queues have stayed over 80% full.
  AsyncStats Stats();
  const plan::StreamDef& def() const { return def_; }
  // Drained at shutdown: its workers are gone, its queues empty or counted as left.
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  struct Item {
    Batch* batch;
    int64_t enqueued_ns;
    exec::AckTicket ticket;  // the source batch it came from, if that is tracked
  };
  struct Lane {
    Lane(size_t slots, size_t index) : queue(slots), index(index) {}
    BoundedQueue<Item> queue;
    size_t index;  // the worker's number: partitioned pipelines have an instance per worker
    // What a loop fed back while the queue was full, in order; used under `block` only.
    std::mutex overflow_mu;
    std::deque<Item> overflow;
    std::atomic<size_t> overflow_items{0};
    std::atomic<uint32_t> items_signal{0};
    std::atomic<uint32_t> space_signal{0};
    std::atomic<uint64_t> queued_events{0};
    std::atomic<uint64_t> routed_events{0};  // ever given to this worker by the partitioner
    std::atomic<bool> parked{false};         // stopped between batches by Pause
    std::thread worker;
  };

  // Reads the worker count a saved part was written with; an error unless it is this stream's.
  Status CheckSavedWorkers(exec::StateReader& r) const;
  // Queues what this thread staged for any async stream, in order, applying each stream's
  // backpressure strategy (this is where a producer may wait).
  static void FlushOutbox();
  // Gives key group `group` to the worker given the fewest events so far (counting `pending`,
  // this push's rows per worker), unless another producer gave it first; returns its owner.
  uint8_t Claim(uint32_t group, const std::vector<std::vector<uint32_t>>& pending);
  Batch* Acquire();
  void Release(Batch* b);
  // Queues a batch per the backpressure strategy; may wait. Called by FlushOutbox only.
  void Enqueue(Lane& lane, Batch* b, exec::AckTicket ticket);
  // Puts a batch in the lane's overflow (a loop's worker feeding back into a full queue).
  void Overflow(Lane& lane, const Item& item);
  bool TryPop(Lane& lane, Item* item);
  void Accepted(Lane& lane, uint64_t events);
  void WorkerLoop(Lane& lane);
  static int64_t NowNs();

  class Outbox;
  static Outbox outbox_;

  const plan::StreamDef& def_;
  StreamJunction* junction_;
  int partition_column_;
  // The worker that owns each key group, or kUnowned until its first event.
  static constexpr uint8_t kUnowned = 0xff;
  std::array<std::atomic<uint8_t>, kKeyGroups> owner_;
  FeedbackLoop* loop_;
  plan::AsyncConfig cfg_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<uint64_t> round_robin_{0};

  // The pool of batches: free ones in a lock-free queue; all of them owned here.
  BoundedQueue<Batch*> free_;
  std::mutex pool_mu_;  // guards all_ (taken only when the pool grows)
  std::vector<std::unique_ptr<Batch>> all_;

  enum State : int { kRunning, kClosing, kAborting };
  std::atomic<int> state_{kRunning};
  bool started_ = false;
  const EntryGate* gate_ = nullptr;
  std::atomic<bool> paused_{false};
  std::atomic<bool> drained_{false};  // Drain has begun
  std::atomic<bool> closed_{false};   // Drain is over: the workers are gone

  std::atomic<uint64_t> queued_{0}, processed_{0}, dropped_{0}, left_{0}, backpressure_{0},
      overflowed_{0};
  std::atomic<int64_t> in_flight_{0};  // batches queued or being processed
  std::atomic<uint64_t> max_fill_permille_{0};
  // When the queues were first seen over 80% full in this stretch (steady-clock ns; 0: not over).
  std::atomic<int64_t> over_since_ns_{0};
  LatencyHistogram latency_;
};

}  // namespace sluice::runtime
