#include "exec/rate_limiter.h"

#include "common/time_math.h"

namespace sluice::exec {

namespace {
constexpr int64_t kNever = kMaxTime;
}  // namespace

void RateLimiter::Offer(const Batch& rows, const std::vector<uint32_t>& groups,
                        const std::vector<int64_t>& live, Batch* emit) {
  using K = plan::RateKind;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    uint32_t g = grouped_ ? groups[r] : 0;
    if (plan_.by_events) {
      ++count_;
      if (plan_.kind == K::kAll) {
        pending_.AppendRow(rows, r);
      } else if (plan_.kind == K::kFirst) {
        if (MarkFirst(g)) emit->AppendRow(rows, r);
      } else {
        KeepLatest(g, rows, r);
      }
      if (count_ == plan_.events) {
        count_ = 0;
        EndPeriod(live, emit, rows.timestamp(r));
      }
      continue;
    }
    int64_t ts = rows.timestamp(r);
    if (!started_) {
      started_ = true;
      end_ = TimeAdd(ts, plan_.period_ms);
    }
    Advance(ts, live, emit);
    offered_ = true;
    switch (plan_.kind) {
      case K::kAll:
        pending_.AppendRow(rows, r);
        break;
      case K::kFirst:
        if (MarkFirst(g)) emit->AppendRow(rows, r);
        break;
      case K::kLast:
      case K::kSnapshot:
        KeepLatest(g, rows, r);
        break;
    }
  }
}

void RateLimiter::Advance(int64_t now, const std::vector<int64_t>& live, Batch* emit) {
  if (plan_.by_events || !started_) return;
  bool snapshot = plan_.kind == plan::RateKind::kSnapshot;
  while (now >= end_ && end_ != kMaxTime) {
    bool idle = pending_.num_rows() == 0 && order_.empty();
    // After the end of input a snapshot shows its state once more only if it changed.
    bool quiet = idle || (snapshot && ended_ && !offered_);
    if (!quiet) EndPeriod(live, emit, end_);
    offered_ = false;
    end_ = TimeAdd(end_, plan_.period_ms);
    // Periods that show nothing are skipped to the one that holds `now`.
    if (quiet && now >= end_) {
      int64_t skip = (now - end_) / plan_.period_ms + 1;
      int64_t by;
      end_ = __builtin_mul_overflow(skip, plan_.period_ms, &by) ? kMaxTime : TimeAdd(end_, by);
    }
  }
}

int64_t RateLimiter::NextDeadline() const {
  if (plan_.by_events || !started_) return kNever;
  switch (plan_.kind) {
    case plan::RateKind::kAll:
      return pending_.num_rows() > 0 ? end_ : kNever;
    case plan::RateKind::kFirst:
      return kNever;
    case plan::RateKind::kLast:
      return order_.empty() ? kNever : end_;
    case plan::RateKind::kSnapshot:
      return ended_ && !offered_ ? kNever : end_;
  }
  return end_;
}

bool RateLimiter::MarkFirst(uint32_t g) {
  if (g >= sent_.size()) sent_.resize(g + 1, 0);
  if (sent_[g]) return false;
  sent_[g] = 1;
  order_.push_back(g);
  return true;
}

void RateLimiter::KeepLatest(uint32_t g, const Batch& rows, size_t r) {
  if (g >= latest_.size()) latest_.resize(g + 1), has_.resize(g + 1, 0);
  latest_[g].Reset(schema_);
  latest_[g].AppendRow(rows, r);
  if (!has_[g]) has_[g] = 1, order_.push_back(g);
}

void RateLimiter::EndPeriod(const std::vector<int64_t>& live, Batch* emit, int64_t at) {
  switch (plan_.kind) {
    case plan::RateKind::kAll:
      for (size_t r = 0; r < pending_.num_rows(); ++r) emit->AppendRow(pending_, r);
      pending_.Clear();
      break;
    case plan::RateKind::kFirst:
      for (uint32_t g : order_) sent_[g] = 0;
      order_.clear();
      break;
    case plan::RateKind::kLast:
      for (uint32_t g : order_) {
        emit->AppendRow(latest_[g], 0);
        has_[g] = 0;
      }
      order_.clear();
      break;
    case plan::RateKind::kSnapshot:
      for (uint32_t g : order_) {
        // A group with nothing left in the window has no state to show.
        if (grouped_ && g < live.size() && live[g] <= 0) continue;
        size_t r = emit->AddRow(at);
        emit->CopyRowInto(latest_[g], 0, r, 0);
      }
      break;
  }
}

void RateLimiter::Snapshot(StateWriter& w) const {
  w.Section("rate", 1);
  w.WriteBatch(pending_);
  w.I64(count_);
  w.Bool(started_);
  w.I64(end_);
  w.Bool(offered_);
  w.Bool(ended_);
  w.U64(latest_.size());
  for (const Batch& b : latest_) w.WriteBatch(b);
  w.Vec(has_);
  w.Vec(sent_);
  w.Vec(order_);
}

void RateLimiter::Restore(StateReader& r) {
  if (!r.Section("rate", 1)) return;
  r.ReadBatch(&pending_);
  count_ = r.I64();
  started_ = r.Bool();
  end_ = r.I64();
  offered_ = r.Bool();
  ended_ = r.Bool();
  latest_.clear();
  latest_.resize(r.Size(16));
  for (Batch& b : latest_) r.ReadBatch(&b);
  has_ = r.Vec<uint8_t>();
  sent_ = r.Vec<uint8_t>();
  order_ = r.Vec<uint32_t>();
}

}  // namespace sluice::exec
