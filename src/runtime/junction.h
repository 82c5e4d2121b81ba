// A stream junction: the point where a stream's batches are published to everything that reads
// the stream. Observers (output callbacks) see a batch before subscribers (queries, sinks), so that
// what a query inserts is reported before what downstream queries derive from it.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
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
  std::vector<exec::BatchConsumer*> subscribers_;
  std::vector<std::vector<exec::BatchConsumer*>> lane_subscribers_;  // per worker
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> malformed_{0};
};

}  // namespace sluice::runtime
