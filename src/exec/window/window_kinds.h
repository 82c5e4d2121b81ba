// The window kinds' shared parts (slot lists in state, the bounded FIFO, the batch emitter) and
// the factory of each kind, one file per kind in exec/window/; MakeWindow (make_window.cc) picks
// the kind from the plan. Internal to exec/window.
#pragma once

#include <deque>
#include <limits>
#include <memory>
#include <vector>

#include "exec/state/state_io.h"
#include "exec/window.h"

namespace sluice::exec {

// Slot lists of windows: deques and vectors of slot numbers, checked against the store.
template <typename Container>
void WriteSlots(StateWriter& w, const Container& slots) {
  w.U64(slots.size());
  for (uint32_t s : slots) w.U32(s);
}

template <typename Container>
void ReadSlots(StateReader& r, const RowStore& store, Container* slots) {
  slots->clear();
  uint64_t n = r.Size(4);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    uint32_t s = r.U32();
    if (s >= store.capacity()) return r.Fail("a window refers to a slot it does not have");
    slots->push_back(s);
  }
}

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Adds an event to a FIFO window that holds at most `limit` events: when full, the oldest expires
// first (timestamped with the arrival), then the event enters.
inline void AddToBoundedFifo(const Batch& in, size_t row, int64_t ts, size_t limit, RowStore* store,
                             std::deque<uint32_t>* fifo, EventChunk* out) {
  if (fifo->size() >= limit) {
    uint32_t old = fifo->front();
    fifo->pop_front();
    store->AppendTo(old, EventKind::kExpired, ts, out);
    store->Free(old);
  }
  uint32_t slot = store->Add(in, row, ts);
  fifo->push_back(slot);
  store->AppendTo(slot, EventKind::kCurrent, ts, out);
}

// The closing of a batch: [expired events of the previous batch], reset, [current events of this
// batch] (Siddhi's batch windows); with emit_on_arrival the batch's events were emitted as they
// came, so the closing batch itself expires.
class BatchEmitter {
 public:
  BatchEmitter(const Schema& s, bool emit_on_arrival) : store_(s), on_arrival_(emit_on_arrival) {}
  RowStore& store() { return store_; }
  const RowStore& store() const { return store_; }
  void Arrive(uint32_t slot, int64_t ts, EventChunk* out) {
    if (on_arrival_) store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }
  void Close(const std::vector<uint32_t>& batch, int64_t at, EventChunk* out) {
    if (on_arrival_) {
      for (uint32_t s : batch) {
        store_.AppendTo(s, EventKind::kExpired, at, out);
        store_.Free(s);
      }
      if (!batch.empty()) out->AddReset(at);
      out->Break();
      return;
    }
    for (uint32_t s : previous_) {
      store_.AppendTo(s, EventKind::kExpired, at, out);
      store_.Free(s);
    }
    if (!previous_.empty() || !batch.empty()) out->AddReset(at);
    for (uint32_t s : batch) store_.AppendTo(s, EventKind::kCurrent, store_.ts(s), out);
    out->Break();
    previous_ = batch;
  }
  bool HasPrevious() const { return !previous_.empty(); }
  void Snapshot(StateWriter& w) const {
    store_.Snapshot(w);
    WriteSlots(w, previous_);
  }
  void Restore(StateReader& r) {
    store_.Restore(r);
    ReadSlots(r, store_, &previous_);
  }

 private:
  RowStore store_;
  bool on_arrival_;
  std::vector<uint32_t> previous_;
};

// One factory per file, each for its kinds of `p`.
std::unique_ptr<Window> MakeLengthWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeTimeWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeExternalTimeWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeLengthBatchWindow(const plan::WindowPlan& p, const Schema& s,
                                              bool emit_on_arrival);
std::unique_ptr<Window> MakeTimeBatchWindow(const plan::WindowPlan& p, const Schema& s,
                                            bool emit_on_arrival);
std::unique_ptr<Window> MakeSlidingWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeSessionWindow(const plan::WindowPlan& p, const Schema& s,
                                          bool emit_on_arrival);
std::unique_ptr<Window> MakeSortWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeUniqueWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeFrequentWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeLossyFrequentWindow(const plan::WindowPlan& p, const Schema& s);
std::unique_ptr<Window> MakeExpressionWindow(const plan::WindowPlan& p, const Schema& s);

}  // namespace sluice::exec
