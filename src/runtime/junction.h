// A stream junction: the point where a stream's batches are published to everything that reads
// the stream. Observers (output callbacks) see a batch before subscribers (queries, sinks), so that
// what a query inserts is reported before what downstream queries derive from it. Taps
// (AppRuntime::Tap) are observers that come and go while the app runs.
#pragma once

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "exec/operator.h"
#include "plan/catalog.h"
#include "sluice/engine.h"

namespace sluice::runtime {

class StreamJunction final : public exec::BatchConsumer {
 public:
  explicit StreamJunction(const plan::StreamDef* def) : def_(def) {}

  const plan::StreamDef& def() const { return *def_; }
  void AddObserver(OutputCallback callback) { observers_.push_back(std::move(callback)); }
  // A tap that sees every batch from now on, until RemoveTap(id). Any thread, any time.
  uint64_t AddTap(OutputCallback callback);
  void RemoveTap(uint64_t id);
  void Subscribe(exec::BatchConsumer* consumer) { subscribers_.push_back(consumer); }
  // Subscribes the instance of a partitioned pipeline that worker `lane` of the stream's async
  // queues runs: it sees only what that worker delivers (the key groups the worker owns).
  void SubscribeLane(size_t lane, exec::BatchConsumer* consumer);

  void Push(const Batch& batch) override { PushFromLane(batch, kNoLane); }
  // A batch delivered by worker `lane` of the stream's async queues (kNoLane: by anyone else).
  static constexpr size_t kNoLane = static_cast<size_t>(-1);
  void PushFromLane(const Batch& batch, size_t lane);

  void CountMalformed(uint64_t n = 1) { malformed_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t events() const { return events_.load(std::memory_order_relaxed); }
  uint64_t malformed() const { return malformed_.load(std::memory_order_relaxed); }

 private:
  const plan::StreamDef* def_;
  std::vector<OutputCallback> observers_;
  std::mutex observers_mu_;  // callbacks see one batch at a time, whatever thread delivers it
  // Shared while taps see a batch (an async stream's workers do not wait on each other), taken
  // whole to add or remove one, so that RemoveTap waits for the batches being shown.
  std::shared_mutex taps_mu_;
  std::vector<std::pair<uint64_t, OutputCallback>> taps_;
  uint64_t next_tap_ = 1;
  std::atomic<size_t> tap_count_{0};  // taps_.size(), read without the lock on every push
  std::vector<exec::BatchConsumer*> subscribers_;
  std::vector<std::vector<exec::BatchConsumer*>> lane_subscribers_;  // per worker
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> malformed_{0};
};

}  // namespace sluice::runtime
