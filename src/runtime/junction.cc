#include "runtime/junction.h"

namespace sluice::runtime {

void StreamJunction::Push(const Batch& batch) {
  if (batch.num_rows() == 0) return;
  events_.fetch_add(batch.num_rows(), std::memory_order_relaxed);
  if (!observers_.empty()) {
    std::lock_guard<std::mutex> lock(observers_mu_);
    OutputBatch out{def_->name, &def_->schema, &batch};
    for (const OutputCallback& cb : observers_) cb(out);
  }
  for (exec::BatchConsumer* c : subscribers_) c->Push(batch);
}

}  // namespace sluice::runtime
