// SLIDING(size, slide): hopping windows, aligned to the epoch, each closing on its own.
#include "exec/window/window_kinds.h"

#include <algorithm>

#include "common/time_math.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

// SLIDING(size, slide): hopping windows [k*slide, k*slide + size), aligned to the epoch as in
// Flink SQL's HOP and ksqlDB's HOPPING; each closes at its end b (a boundary) when the watermark
// reaches it. At each boundary the window emits its events afresh (reset, then each as current),
// so an aggregate emits one row per group per window. Boundaries with nothing to show are skipped.
class HoppingWindow final : public Window {
 public:
  HoppingWindow(const Schema& s, int64_t size, int64_t slide)
      : store_(s), size_(size), slide_(slide) {}

  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = store_.Add(in, row, ts);
    if (!started_) {
      started_ = true;
      next_ = FirstEndAfter(ts);
      if (last_closed_ != kMinTime) next_ = std::max(next_, TimeAdd(last_closed_, slide_));
    }
    // Kept in time order, so that membership of [b - size, b) is a prefix test.
    auto pos = std::upper_bound(events_.begin(), events_.end(), ts,
                                [&](int64_t t, uint32_t s) { return t < store_.ts(s); });
    events_.insert(pos, slot);
  }

  void Advance(int64_t now, EventChunk* out) override {
    now_ = std::max(now_, now);
    while (started_ && next_ <= now_) {
      int64_t b = next_;
      while (!events_.empty() && store_.ts(events_.front()) < TimeSub(b, size_)) {
        uint32_t old = events_.front();
        events_.pop_front();
        store_.AppendTo(old, EventKind::kExpired, TimeAdd(store_.ts(old), size_), out);
        store_.Free(old);
      }
      bool any = !events_.empty() && store_.ts(events_.front()) < b;
      if (any || emitted_last_) out->AddReset(b);
      for (uint32_t s : events_) {
        if (store_.ts(s) >= b) break;
        store_.AppendTo(s, EventKind::kCurrent, store_.ts(s), out);
      }
      out->Break();
      emitted_last_ = any;
      last_closed_ = b;
      if (events_.empty() || b == kMaxTime) {
        started_ = false;  // nothing to show until an event comes
      } else {
        // The next window that holds an event: boundaries between show nothing.
        next_ = std::max(TimeAdd(b, slide_), FirstEndAfter(store_.ts(events_.front())));
      }
    }
  }

  int64_t NextDeadline() const override { return started_ ? next_ : kNever; }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/sliding", 1);
    store_.Snapshot(w);
    WriteSlots(w, events_);
    w.Bool(started_);
    w.Bool(emitted_last_);
    w.I64(next_);
    w.I64(last_closed_);
    w.I64(now_);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/sliding", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &events_);
    started_ = r.Bool();
    emitted_last_ = r.Bool();
    next_ = r.I64();
    last_closed_ = r.I64();
    now_ = r.I64();
  }
  // Late: every window that holds `ts` has closed.
  bool IsLate(int64_t ts) const override {
    return last_closed_ != kMinTime &&
           ClampTime(WindowIndexOf(ts, 0, slide_) * slide_ + size_) <= last_closed_;
  }

 private:
  // The end of the first window [k*slide, k*slide + size) that holds `ts`.
  int64_t FirstEndAfter(int64_t ts) const {
    __int128 k = WindowIndexOf(TimeSub(ts, size_), 0, slide_) + 1;
    return ClampTime(k * slide_ + size_);
  }

  RowStore store_;
  int64_t size_, slide_;
  bool started_ = false;
  bool emitted_last_ = false;
  int64_t next_ = 0;
  int64_t last_closed_ = kMinTime;
  std::deque<uint32_t> events_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
};

}  // namespace

std::unique_ptr<Window> MakeSlidingWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<HoppingWindow>(s, p.time_ms, p.slide_ms);
}

}  // namespace sluice::exec
