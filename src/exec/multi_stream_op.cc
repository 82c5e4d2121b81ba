#include "exec/multi_stream_op.h"

#include <algorithm>

#include "exec/state/state_io.h"

namespace sluice::exec {

void MultiStreamOp::Flush() {
  ReleaseLookupsLocked();
  if (out_.num_rows() == 0) return;
  rest_->Push(out_);
  out_.Clear();
}

void MultiStreamOp::OnTime(int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (driven_by_clock_) AdvanceLocked(now_ms);
    OnClockLocked(now_ms);
    Flush();
  }
  if (rest_timed_) rest_timed_->OnTime(now_ms);
}

int64_t MultiStreamOp::NextDeadline() const {
  int64_t d = kNever;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (driven_by_clock_) d = DeadlineLocked();
    d = std::min(d, ClockDeadlineLocked());
  }
  if (rest_timed_) d = std::min(d, rest_timed_->NextDeadline());
  return d;
}

void MultiStreamOp::Snapshot(StateWriter& w) const {
  std::lock_guard<std::mutex> lock(mu_);
  w.Section("multi", 1);
  w.Bool(driven_by_clock_);
  SnapshotLocked(w);
}

void MultiStreamOp::Restore(StateReader& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!r.Section("multi", 1)) return;
  driven_by_clock_ = r.Bool();
  RestoreLocked(r);
}

StateSize MultiStreamOp::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return SizeLocked();
}

void MultiStreamOp::EndInput() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    driven_by_clock_ = true;
    EndInputLocked();
  }
  if (rest_timed_) rest_timed_->EndInput();
}

}  // namespace sluice::exec
