#include "runtime/junction.h"

namespace sluice::runtime {

void StreamJunction::SubscribeLane(size_t lane, exec::BatchConsumer* consumer) {
  if (lane_subscribers_.size() <= lane) lane_subscribers_.resize(lane + 1);
  lane_subscribers_[lane].push_back(consumer);
}

uint64_t StreamJunction::AddTap(OutputCallback callback) {
  std::unique_lock<std::shared_mutex> lock(taps_mu_);
  uint64_t id = next_tap_++;
  taps_.emplace_back(id, std::move(callback));
  tap_count_.store(taps_.size(), std::memory_order_relaxed);
  return id;
}

void StreamJunction::RemoveTap(uint64_t id) {
  std::unique_lock<std::shared_mutex> lock(taps_mu_);
  for (size_t i = 0; i < taps_.size(); ++i) {
    if (taps_[i].first != id) continue;
    taps_.erase(taps_.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  tap_count_.store(taps_.size(), std::memory_order_relaxed);
}

void StreamJunction::PushFromLane(const Batch& batch, size_t lane) {
  if (batch.num_rows() == 0) return;
  events_.fetch_add(batch.num_rows(), std::memory_order_relaxed);
  if (!observers_.empty()) {
    std::lock_guard<std::mutex> lock(observers_mu_);
    OutputBatch out{def_->name, &def_->schema, &batch};
    for (const OutputCallback& cb : observers_) cb(out);
  }
  if (tap_count_.load(std::memory_order_relaxed) > 0) {
    std::shared_lock<std::shared_mutex> lock(taps_mu_);
    OutputBatch out{def_->name, &def_->schema, &batch};
    for (const auto& [id, cb] : taps_) cb(out);
  }
  for (exec::BatchConsumer* c : subscribers_) c->Push(batch);
  // Only the stream's workers push into a stream with partitioned pipelines (its entry is the
  // async stream), so every batch reaches one instance.
  if (!lane_subscribers_.empty() && lane < lane_subscribers_.size())
    for (exec::BatchConsumer* c : lane_subscribers_[lane]) c->Push(batch);
}

}  // namespace sluice::runtime
