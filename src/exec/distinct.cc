#include "exec/distinct.h"

#include "common/row_key.h"
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
  uint64_t repeated = 0;
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    key_.clear();
    for (size_t c = 0; c < batch.num_columns(); ++c) AppendValueKey(batch.column(c), r, &key_);
    if (seen_.insert(key_).second) {
      out_.AppendRow(batch, r);
    } else {
      ++repeated;
    }
  }
  if (repeated) {
    counters_->rows_out.fetch_sub(repeated, std::memory_order_relaxed);
    if (rows_are_events_) {
      counters_->events_out.fetch_sub(repeated, std::memory_order_relaxed);
      counters_->filtered.fetch_add(repeated, std::memory_order_relaxed);
    }
  }
  if (out_.num_rows() > 0) target_->Push(out_);
}

void DistinctOp::Snapshot(StateWriter& w) const {
  std::lock_guard<std::mutex> lock(mu_);
  w.Section("distinct", 1);
  w.U64(seen_.size());
  for (const std::string& key : seen_) w.Str(key);
}

void DistinctOp::Restore(StateReader& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!r.Section("distinct", 1)) return;
  seen_.clear();
  uint64_t n = r.Size(8);
  for (uint64_t i = 0; i < n && r.ok(); ++i) seen_.insert(r.Str());
}

}  // namespace sluice::exec
