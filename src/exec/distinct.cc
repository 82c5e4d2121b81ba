#include "exec/distinct.h"

#include <algorithm>

#include "common/row_key.h"
#include "common/time_math.h"
#include "exec/state/state_io.h"

namespace sluice::exec {

void DistinctOp::Push(const Batch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (out_.num_columns() != batch.num_columns()) {
    Schema schema;
    for (size_t c = 0; c < batch.num_columns(); ++c) schema.Add("", batch.column(c).type());
    out_.Reset(schema);
  }
  out_.Clear();
  uint64_t repeated = 0, refused = 0;
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    int64_t ts = batch.timestamp(r);
    now_ = std::max(now_, ts);
    key_.clear();
    for (size_t c = 0; c < batch.num_columns(); ++c) AppendValueKey(batch.column(c), r, &key_);
    auto it = seen_.find(key_);
    if (it != seen_.end()) {
      // Forgotten once unseen for the TTL, by this row's own time: batching does not matter.
      bool expired = limits_.ttl_ms > 0 && TimeSub(ts, it->second) >= limits_.ttl_ms;
      it->second = std::max(it->second, ts);
      if (!expired) {
        ++repeated;
        continue;
      }
    } else if (limits_.max_keys > 0 && seen_.size() >= static_cast<size_t>(limits_.max_keys)) {
      ++refused;
      LogFailure(counters_, "query " + query_ + ": dropped a row (ts " + std::to_string(ts) +
                                "): DISTINCT holds " + std::to_string(limits_.max_keys) +
                                " rows (its state.max.keys): a new row was refused");
      continue;
    } else {
      seen_.emplace(key_, ts);
    }
    out_.AppendRow(batch, r);
  }
  if (repeated + refused) {
    counters_->rows_out.fetch_sub(repeated + refused, std::memory_order_relaxed);
    if (rows_are_events_) {
      counters_->events_out.fetch_sub(repeated + refused, std::memory_order_relaxed);
      counters_->filtered.fetch_add(repeated, std::memory_order_relaxed);
      counters_->dropped.fetch_add(refused, std::memory_order_relaxed);
    } else {
      counters_->errors.fetch_add(refused, std::memory_order_relaxed);
    }
  }
  if (limits_.ttl_ms > 0 && now_ >= next_sweep_) Sweep(now_);
  if (out_.num_rows() > 0) target_->Push(out_);
}

void DistinctOp::Sweep(int64_t now) {
  next_sweep_ = TimeAdd(now, std::max<int64_t>(1, limits_.ttl_ms / 2));
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (TimeSub(now, it->second) >= limits_.ttl_ms) {
      seen_.erase(it++);
    } else {
      ++it;
    }
  }
}

StateSize DistinctOp::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  StateSize size;
  size.keys = seen_.size();
  for (const auto& [key, ts] : seen_) size.bytes += sizeof(key) + key.capacity() + sizeof(ts);
  return size;
}

void DistinctOp::Snapshot(StateWriter& w) const {
  std::lock_guard<std::mutex> lock(mu_);
  w.Section("distinct", 2);
  w.I64(now_);
  w.I64(next_sweep_);
  w.U64(seen_.size());
  for (const auto& [key, ts] : seen_) {
    w.Str(key);
    w.I64(ts);
  }
}

void DistinctOp::Restore(StateReader& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!r.Section("distinct", 2)) return;
  now_ = r.I64();
  next_sweep_ = r.I64();
  seen_.clear();
  uint64_t n = r.Size(16);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string key = r.Str();
    seen_[key] = r.I64();
  }
}

}  // namespace sluice::exec
