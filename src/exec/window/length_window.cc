// WINDOW('length', n) and ('lengthBatch', n): the last n events, or batches of n.
#include "exec/window/window_kinds.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

// length(n): the last n events; each arrival beyond n expires the oldest (before the arrival, as
// Siddhi's LengthWindowProcessor inserts it).
class LengthWindow final : public Window {
 public:
  LengthWindow(const Schema& s, int64_t n) : store_(s), n_(static_cast<size_t>(n)) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    AddToBoundedFifo(in, row, ts, n_, &store_, &fifo_, out);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/length", 1);
    store_.Snapshot(w);
    WriteSlots(w, fifo_);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/length", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &fifo_);
  }

 private:
  RowStore store_;
  size_t n_;
  std::deque<uint32_t> fifo_;
};

// lengthBatch(n): every n events form a batch.
class LengthBatchWindow final : public Window {
 public:
  LengthBatchWindow(const Schema& s, int64_t n, bool on_arrival)
      : emitter_(s, on_arrival), n_(static_cast<size_t>(n)) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = emitter_.store().Add(in, row, ts);
    batch_.push_back(slot);
    emitter_.Arrive(slot, ts, out);
    if (batch_.size() >= n_) {
      emitter_.Close(batch_, ts, out);
      batch_.clear();
    }
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/lengthBatch", 1);
    emitter_.Snapshot(w);
    WriteSlots(w, batch_);
  }
  const RowStore& store() const override { return emitter_.store(); }
  void Restore(StateReader& r) override {
    if (!r.Section("window/lengthBatch", 1)) return;
    emitter_.Restore(r);
    ReadSlots(r, emitter_.store(), &batch_);
  }

 private:
  BatchEmitter emitter_;
  size_t n_;
  std::vector<uint32_t> batch_;
};

}  // namespace

std::unique_ptr<Window> MakeLengthWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<LengthWindow>(s, p.length);
}

std::unique_ptr<Window> MakeLengthBatchWindow(const WindowPlan& p, const Schema& s,
                                              bool emit_on_arrival) {
  return std::make_unique<LengthBatchWindow>(s, p.length, emit_on_arrival);
}

}  // namespace sluice::exec
