// TUMBLING(size[, offset]) and Siddhi's WINDOW('timeBatch', t) / ('externalTimeBatch', ...):
// batches of time that close one after the other.
#include "exec/window/window_kinds.h"

#include <algorithm>
#include <map>

#include "common/time_math.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

// timeBatch(t[, start]) / TUMBLING(t): batches [start + k*t, start + (k+1)*t), where start is the
// first event's time unless given (as Siddhi's timeBatch). A batch closes when the watermark
// reaches its end; an event whose batch has closed is late. externalTimeBatch takes times from an
// attribute and its watermark from them.
class TimeBatchWindow final : public Window {
 public:
  TimeBatchWindow(const Schema& s, const WindowPlan& p, bool on_arrival)
      : emitter_(s, on_arrival),
        t_(p.time_ms),
        has_start_(p.has_start),
        start_(p.start_ms),
        col_(p.kind == WindowPlan::Kind::kExternalTimeBatch ? p.time_column : -1) {}

  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = emitter_.store().Add(in, row, ts);
    int64_t at = ts;
    if (col_ >= 0 && !emitter_.store().TimeOf(slot, col_, &at)) at = ts;
    if (!started_) {
      started_ = true;
      if (!has_start_) start_ = at;
    }
    if (col_ >= 0) Advance(at, out);  // the attribute is the clock
    int64_t id = IdOf(at);
    if (has_closed_ && id <= closed_through_) id = closed_through_ + 1;  // externalTimeBatch
    open_[id].push_back(slot);
    emitter_.Arrive(slot, ts, out);
  }

  void Advance(int64_t now, EventChunk* out) override {
    now_ = std::max(now_, now);
    if (!started_) return;
    // Every batch before the one holding the watermark is due, empty ones included: closing an
    // empty batch still expires the previous one.
    int64_t current = IdOf(now_);
    int64_t next = NextToClose();
    while (next < current) {
      std::vector<uint32_t> batch;
      auto it = open_.find(next);
      if (it != open_.end()) {
        batch = std::move(it->second);
        open_.erase(it);
      }
      emitter_.Close(batch, EndOf(next), out);
      closed_through_ = next;
      has_closed_ = true;
      if (batch.empty() && !emitter_.HasPrevious()) {
        // Nothing to show until the next batch that holds events.
        int64_t skip_to = open_.empty() ? current : std::min(current, open_.begin()->first);
        closed_through_ = std::max(closed_through_, skip_to - 1);
        next = closed_through_ + 1;
        continue;
      }
      ++next;
    }
  }

  int64_t NextDeadline() const override {
    if (!started_ || (open_.empty() && !emitter_.HasPrevious())) return kNever;
    return EndOf(NextToClose());
  }

  bool IsLate(int64_t ts) const override {
    return col_ < 0 && started_ && has_closed_ && IdOf(ts) <= closed_through_;
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/timeBatch", 1);
    emitter_.Snapshot(w);
    w.I64(start_);
    w.Bool(started_);
    w.Bool(has_closed_);
    w.I64(closed_through_);
    w.I64(now_);
    w.U64(open_.size());
    for (const auto& [id, slots] : open_) {
      w.I64(id);
      WriteSlots(w, slots);
    }
  }
  const RowStore& store() const override { return emitter_.store(); }
  void Restore(StateReader& r) override {
    if (!r.Section("window/timeBatch", 1)) return;
    emitter_.Restore(r);
    start_ = r.I64();
    started_ = r.Bool();
    has_closed_ = r.Bool();
    closed_through_ = r.I64();
    now_ = r.I64();
    open_.clear();
    uint64_t n = r.Size(16);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      int64_t id = r.I64();
      ReadSlots(r, emitter_.store(), &open_[id]);
    }
  }

 private:
  // The batch holding time `at`, and the end of batch `id` (saturated at the largest time).
  int64_t IdOf(int64_t at) const { return ClampTime(WindowIndexOf(at, start_, t_)); }
  int64_t EndOf(int64_t id) const {
    return ClampTime(static_cast<__int128>(start_) + (static_cast<__int128>(id) + 1) * t_);
  }

  int64_t NextToClose() const {
    if (has_closed_) return closed_through_ + 1;
    return open_.empty() ? std::numeric_limits<int64_t>::max() / 2 : open_.begin()->first;
  }

  BatchEmitter emitter_;
  int64_t t_;
  bool has_start_;
  int64_t start_;
  int col_;
  bool started_ = false;
  bool has_closed_ = false;
  int64_t closed_through_ = 0;
  std::map<int64_t, std::vector<uint32_t>> open_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
};

}  // namespace

std::unique_ptr<Window> MakeTimeBatchWindow(const WindowPlan& p, const Schema& s,
                                            bool emit_on_arrival) {
  return std::make_unique<TimeBatchWindow>(s, p, emit_on_arrival);
}

}  // namespace sluice::exec
