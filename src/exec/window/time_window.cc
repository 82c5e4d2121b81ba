// WINDOW('time', t), ('timeLength', t, n), ('delay', t) and ('externalTime', attr, t):
// events of the last t ms (by the clock or by an attribute), or held for t ms.
#include "exec/window/window_kinds.h"

#include <algorithm>

#include "common/time_math.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

// time(t) and timeLength(t, n): events expire t after their time (at watermark ts + t), in
// arrival order as in Siddhi; timeLength also keeps at most n. delay(t) is the same FIFO, but an
// event is emitted only when it leaves, as current.
class TimeWindow final : public Window {
 public:
  enum class Mode { kSliding, kDelay };
  TimeWindow(const Schema& s, int64_t t, int64_t n, Mode mode)
      : store_(s), t_(t), n_(n), delay_(mode == Mode::kDelay) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    if (delay_) {
      fifo_.push_back(store_.Add(in, row, ts));
      return;
    }
    size_t limit = n_ > 0 ? static_cast<size_t>(n_) : std::numeric_limits<size_t>::max();
    AddToBoundedFifo(in, row, ts, limit, &store_, &fifo_, out);
  }
  void Advance(int64_t now, EventChunk* out) override {
    now_ = std::max(now_, now);
    while (!fifo_.empty() && TimeAdd(store_.ts(fifo_.front()), t_) <= now_) {
      uint32_t old = fifo_.front();
      fifo_.pop_front();
      store_.AppendTo(old, delay_ ? EventKind::kCurrent : EventKind::kExpired,
                      TimeAdd(store_.ts(old), t_), out);
      store_.Free(old);
    }
  }
  int64_t NextDeadline() const override {
    return fifo_.empty() ? kNever : TimeAdd(store_.ts(fifo_.front()), t_);
  }
  bool IsLate(int64_t ts) const override { return TimeAdd(ts, t_) <= now_; }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/time", 1);
    store_.Snapshot(w);
    WriteSlots(w, fifo_);
    w.I64(now_);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/time", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &fifo_);
    now_ = r.I64();
  }

 private:
  RowStore store_;
  int64_t t_, n_;
  bool delay_;
  std::deque<uint32_t> fifo_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
};

// externalTime(attr, t): a time window whose clock is the attribute's largest value so far.
class ExternalTimeWindow final : public Window {
 public:
  ExternalTimeWindow(const Schema& s, int col, int64_t t) : store_(s), col_(col), t_(t) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = store_.Add(in, row, ts);
    int64_t at;
    if (!store_.TimeOf(slot, col_, &at)) at = now_;  // NULL time: treated as "now"
    wtime_.resize(std::max<size_t>(wtime_.size(), slot + 1));
    wtime_[slot] = at;
    now_ = std::max(now_, at);
    while (!fifo_.empty() && TimeAdd(wtime_[fifo_.front()], t_) <= now_) {
      uint32_t old = fifo_.front();
      fifo_.pop_front();
      store_.AppendTo(old, EventKind::kExpired, TimeAdd(wtime_[old], t_), out);
      store_.Free(old);
    }
    fifo_.push_back(slot);
    store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/externalTime", 1);
    store_.Snapshot(w);
    WriteSlots(w, fifo_);
    w.Vec(wtime_);
    w.I64(now_);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/externalTime", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &fifo_);
    wtime_ = r.Vec<int64_t>();
    now_ = r.I64();
  }

 private:
  RowStore store_;
  int col_;
  int64_t t_;
  std::deque<uint32_t> fifo_;
  std::vector<int64_t> wtime_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
};

}  // namespace

std::unique_ptr<Window> MakeTimeWindow(const WindowPlan& p, const Schema& s) {
  using K = WindowPlan::Kind;
  if (p.kind == K::kDelay)
    return std::make_unique<TimeWindow>(s, p.time_ms, 0, TimeWindow::Mode::kDelay);
  return std::make_unique<TimeWindow>(s, p.time_ms, p.kind == K::kTimeLength ? p.length : 0,
                                      TimeWindow::Mode::kSliding);
}

std::unique_ptr<Window> MakeExternalTimeWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<ExternalTimeWindow>(s, p.time_column, p.time_ms);
}

}  // namespace sluice::exec
