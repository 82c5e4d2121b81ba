#include "exec/window.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/row_key.h"
#include "common/time_math.h"
#include "exec/aggregate.h"
#include "exec/expression.h"

namespace sluice::exec {

using plan::WindowPlan;

void EventChunk::AddReset(int64_t ts) {
  batch.AddRow(ts);
  kinds.push_back(EventKind::kReset);
  emit_ts.push_back(ts);
  ids.push_back(0);
  slots.push_back(0);
}

RowStore::RowStore(const Schema& schema) {
  cols_.resize(schema.size());
  for (size_t i = 0; i < schema.size(); ++i) cols_[i].type = schema.field(i).type.physical();
}

uint64_t RowStore::bytes() const {
  uint64_t n = ts_.capacity() * sizeof(int64_t) + ids_.capacity() * sizeof(uint64_t) +
               free_.capacity() * sizeof(uint32_t);
  for (const Col& c : cols_) {
    n += c.ints.capacity() * sizeof(int64_t) + c.doubles.capacity() * sizeof(double) +
         c.valid.capacity();
    for (const std::string& str : c.strings) n += sizeof(std::string) + str.capacity();
  }
  return n;
}

uint32_t RowStore::Add(const Batch& in, size_t row, int64_t ts) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(ts_.size());
    ts_.push_back(0);
    ids_.push_back(0);
    for (Col& c : cols_) {
      c.valid.push_back(0);
      switch (c.type) {
        case PhysicalType::kInt64:
          c.ints.push_back(0);
          break;
        case PhysicalType::kDouble:
          c.doubles.push_back(0);
          break;
        case PhysicalType::kString:
          c.strings.emplace_back();
          break;
      }
    }
  }
  Overwrite(slot, in, row, ts);
  ++live_;
  return slot;
}

void RowStore::Overwrite(uint32_t slot, const Batch& in, size_t row, int64_t ts) {
  ts_[slot] = ts;
  ids_[slot] = next_id_++;
  for (size_t i = 0; i < cols_.size(); ++i) {
    Col& c = cols_[i];
    const Column& src = in.column(i);
    c.valid[slot] = src.valid()[row];
    if (!c.valid[slot]) continue;
    switch (c.type) {
      case PhysicalType::kInt64:
        c.ints[slot] = src.ints()[row];
        break;
      case PhysicalType::kDouble:
        c.doubles[slot] = src.doubles()[row];
        break;
      case PhysicalType::kString:
        c.strings[slot].assign(src.strings()[row].view());
        break;
    }
  }
}

void RowStore::CopyTo(uint32_t slot, Batch* out, size_t row, size_t first_column) const {
  for (size_t i = 0; i < cols_.size(); ++i) {
    const Col& c = cols_[i];
    Column& dst = out->column(first_column + i);
    if (!c.valid[slot]) {
      dst.SetNull(row);
      continue;
    }
    switch (c.type) {
      case PhysicalType::kInt64:
        dst.SetInt(row, c.ints[slot]);
        break;
      case PhysicalType::kDouble:
        dst.SetDouble(row, c.doubles[slot]);
        break;
      case PhysicalType::kString:
        dst.SetString(row, out->arena().Add(c.strings[slot]));
        break;
    }
  }
}

bool RowStore::ValueEquals(uint32_t slot, int col, const Column& in, size_t row) const {
  const Col& c = cols_[static_cast<size_t>(col)];
  if (!c.valid[slot] || in.IsNull(row)) return false;
  switch (c.type) {
    case PhysicalType::kInt64:
      return c.ints[slot] == in.ints()[row];
    case PhysicalType::kDouble:
      return c.doubles[slot] == in.doubles()[row];
    case PhysicalType::kString:
      return c.strings[slot] == in.strings()[row].view();
  }
  return false;
}

void RowStore::Free(uint32_t slot) {
  ids_[slot] = 0;
  free_.push_back(slot);
  --live_;
}

void RowStore::AppendTo(uint32_t slot, EventKind kind, int64_t emit_ts, EventChunk* out) const {
  size_t row = out->batch.AddRow(ts_[slot]);
  out->kinds.push_back(kind);
  out->emit_ts.push_back(emit_ts);
  out->ids.push_back(ids_[slot]);
  out->slots.push_back(slot);
  CopyTo(slot, &out->batch, row);
}

void RowStore::AppendKey(uint32_t slot, int col, std::string* out) const {
  const Col& c = cols_[col];
  if (!c.valid[slot]) return AppendNullKey(out);
  switch (c.type) {
    case PhysicalType::kInt64:
      return AppendIntKey(c.ints[slot], out);
    case PhysicalType::kDouble:
      return AppendDoubleKey(c.doubles[slot], out);
    case PhysicalType::kString:
      return AppendStringKey(c.strings[slot], out);
  }
}

int RowStore::Compare(uint32_t a, uint32_t b, int col) const {
  const Col& c = cols_[col];
  if (!c.valid[a] || !c.valid[b])
    return static_cast<int>(c.valid[a]) - static_cast<int>(c.valid[b]);
  switch (c.type) {
    case PhysicalType::kInt64:
      return (c.ints[a] > c.ints[b]) - (c.ints[a] < c.ints[b]);
    case PhysicalType::kDouble:
      return (c.doubles[a] > c.doubles[b]) - (c.doubles[a] < c.doubles[b]);
    case PhysicalType::kString:
      return c.strings[a].compare(c.strings[b]);
  }
  return 0;
}

void RowStore::Snapshot(StateWriter& w) const {
  w.Section("rows", 1);
  w.Vec(ts_);
  w.Vec(ids_);
  w.Vec(free_);
  w.U64(live_);
  w.U64(next_id_);
  w.U64(cols_.size());
  for (const Col& c : cols_) {
    w.U8(static_cast<uint8_t>(c.type));
    w.Vec(c.valid);
    switch (c.type) {
      case PhysicalType::kInt64:
        w.Vec(c.ints);
        break;
      case PhysicalType::kDouble:
        w.Vec(c.doubles);
        break;
      case PhysicalType::kString:
        w.U64(c.strings.size());
        for (const std::string& str : c.strings) w.Str(str);
        break;
    }
  }
}

void RowStore::Restore(StateReader& r) {
  if (!r.Section("rows", 1)) return;
  ts_ = r.Vec<int64_t>();
  ids_ = r.Vec<uint64_t>();
  free_ = r.Vec<uint32_t>();
  live_ = r.U64();
  next_id_ = r.U64();
  if (ids_.size() != ts_.size()) return r.Fail("a window's rows do not add up");
  if (r.U64() != cols_.size()) return r.Fail("a window's rows have another schema");
  for (Col& c : cols_) {
    if (r.U8() != static_cast<uint8_t>(c.type)) return r.Fail("a window's rows have another type");
    c.valid = r.Vec<uint8_t>();
    switch (c.type) {
      case PhysicalType::kInt64:
        c.ints = r.Vec<int64_t>();
        break;
      case PhysicalType::kDouble:
        c.doubles = r.Vec<double>();
        break;
      case PhysicalType::kString: {
        uint64_t n = r.Size(8);
        c.strings.clear();
        for (uint64_t i = 0; i < n && r.ok(); ++i) c.strings.push_back(r.Str());
        break;
      }
    }
    if (c.valid.size() != ts_.size()) return r.Fail("a window's rows do not add up");
  }
  for (uint32_t f : free_)
    if (f >= ts_.size()) return r.Fail("a free slot beyond the rows");
}

bool RowStore::TimeOf(uint32_t slot, int col, int64_t* ms) const {
  const Col& c = cols_[col];
  if (!c.valid[slot]) return false;
  *ms = c.type == PhysicalType::kDouble ? static_cast<int64_t>(c.doubles[slot]) : c.ints[slot];
  return true;
}

namespace {

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

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Adds an event to a FIFO window that holds at most `limit` events: when full, the oldest expires
// first (timestamped with the arrival), then the event enters.
void AddToBoundedFifo(const Batch& in, size_t row, int64_t ts, size_t limit, RowStore* store,
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

// session(gap[, key]): events are current on arrival; a session (per key) closes when no event
// came for `gap`, and its events expire then (at last + gap). With emit_on_arrival false (EMIT
// FINAL) a session's events are emitted when it closes: each as current, then each as expired.
// Sessions are found by key and closed through an index by deadline, so that many keys cost
// O(log n) per event, not a scan.
class SessionWindow final : public Window {
 public:
  SessionWindow(const Schema& s, int64_t gap, int key, bool on_arrival)
      : store_(s), gap_(gap), key_(key), on_arrival_(on_arrival) {}

  void SetKey(std::string_view key) override { given_key_.assign(key); }

  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = store_.Add(in, row, ts);
    if (key_ >= 0) {
      scratch_.clear();
      store_.AppendKey(slot, key_, &scratch_);
    } else {
      scratch_ = given_key_;  // per GROUP BY key, or one session when no key is given
    }
    auto [it, inserted] = sessions_.try_emplace(scratch_);
    Session& session = it->second;
    if (inserted) {
      session.seq = next_seq_++;
      keys_.emplace(session.seq, scratch_);
    } else {
      by_deadline_.erase({TimeAdd(session.last, gap_), session.seq});
    }
    session.events.push_back(slot);
    session.last = std::max(session.last, ts);
    by_deadline_.insert({TimeAdd(session.last, gap_), session.seq});
    if (on_arrival_) store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }

  void Advance(int64_t now, EventChunk* out) override {
    now_ = std::max(now_, now);
    // Sessions close in the order of their deadlines; ties in order of creation.
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now_) {
      auto [due_at, seq] = *by_deadline_.begin();
      by_deadline_.erase(by_deadline_.begin());
      auto k = keys_.find(seq);
      auto it = sessions_.find(k->second);
      Session session = std::move(it->second);
      sessions_.erase(it);
      keys_.erase(k);
      if (!on_arrival_)
        for (uint32_t s : session.events)
          store_.AppendTo(s, EventKind::kCurrent, store_.ts(s), out);
      for (uint32_t s : session.events) {
        store_.AppendTo(s, EventKind::kExpired, due_at, out);
        store_.Free(s);
      }
      out->Break();
    }
  }

  int64_t NextDeadline() const override {
    return by_deadline_.empty() ? kNever : by_deadline_.begin()->first;
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/session", 1);
    store_.Snapshot(w);
    w.U64(next_seq_);
    w.I64(now_);
    w.U64(keys_.size());
    for (const auto& [seq, key] : keys_) {  // in creation order
      const Session& session = sessions_.at(key);
      w.Str(key);
      w.U64(seq);
      w.I64(session.last);
      WriteSlots(w, session.events);
    }
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/session", 1)) return;
    store_.Restore(r);
    next_seq_ = r.U64();
    now_ = r.I64();
    sessions_.clear();
    keys_.clear();
    by_deadline_.clear();
    uint64_t n = r.Size(24);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string key = r.Str();
      Session& session = sessions_[key];
      session.seq = r.U64();
      session.last = r.I64();
      ReadSlots(r, store_, &session.events);
      keys_.emplace(session.seq, key);
      by_deadline_.insert({TimeAdd(session.last, gap_), session.seq});
    }
  }

 private:
  struct Session {
    std::vector<uint32_t> events;
    int64_t last = std::numeric_limits<int64_t>::min();
    uint64_t seq = 0;  // creation order
  };
  RowStore store_;
  int64_t gap_;
  int key_;
  bool on_arrival_;
  absl::flat_hash_map<std::string, Session> sessions_;
  std::set<std::pair<int64_t, uint64_t>> by_deadline_;  // (last + gap, seq)
  std::map<uint64_t, std::string> keys_;                // seq -> key
  uint64_t next_seq_ = 0;
  std::string scratch_;
  std::string given_key_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
};

// sort(n, attr, 'asc'|'desc'): keeps the n events that sort first; an arrival beyond n expires
// the one that sorts last (possibly itself), after the arrival is emitted.
class SortWindow final : public Window {
 public:
  SortWindow(const Schema& s, int64_t n, int col, bool desc)
      : store_(s), n_(static_cast<size_t>(n)), col_(col), desc_(desc) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = store_.Add(in, row, ts);
    auto before = [&](uint32_t a, uint32_t b) {
      int c = store_.Compare(a, b, col_);
      return desc_ ? c > 0 : c < 0;
    };
    auto pos = std::upper_bound(sorted_.begin(), sorted_.end(), slot, before);
    sorted_.insert(pos, slot);
    store_.AppendTo(slot, EventKind::kCurrent, ts, out);
    if (sorted_.size() > n_) {
      uint32_t last = sorted_.back();
      sorted_.pop_back();
      store_.AppendTo(last, EventKind::kExpired, ts, out);
      store_.Free(last);
    }
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/sort", 1);
    store_.Snapshot(w);
    WriteSlots(w, sorted_);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/sort", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &sorted_);
  }

 private:
  RowStore store_;
  size_t n_;
  int col_;
  bool desc_;
  std::vector<uint32_t> sorted_;
};

// unique(key): the latest event per key; a new event for a key expires the previous one (before
// the arrival). firstUnique(key): the first event per key; later ones are not taken.
class UniqueWindow final : public Window {
 public:
  UniqueWindow(const Schema& s, int col, bool first) : store_(s), col_(col), first_(first) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    rejected_ = false;
    uint32_t slot = store_.Add(in, row, ts);
    scratch_.clear();
    store_.AppendKey(slot, col_, &scratch_);
    auto it = by_key_.find(scratch_);
    if (it != by_key_.end()) {
      if (first_) {
        store_.Free(slot);
        rejected_ = true;
        return;
      }
      store_.AppendTo(it->second, EventKind::kExpired, ts, out);
      store_.Free(it->second);
      it->second = slot;
    } else {
      by_key_.emplace(scratch_, slot);
    }
    store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }
  bool Rejected() const override { return rejected_; }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/unique", 1);
    store_.Snapshot(w);
    w.U64(by_key_.size());
    for (const auto& [key, slot] : by_key_) {
      w.Str(key);
      w.U32(slot);
    }
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/unique", 1)) return;
    store_.Restore(r);
    by_key_.clear();
    uint64_t n = r.Size(12);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string key = r.Str();
      by_key_[key] = r.U32();
    }
  }

 private:
  RowStore store_;
  int col_;
  bool first_;
  bool rejected_ = false;
  absl::flat_hash_map<std::string, uint32_t> by_key_;
  std::string scratch_;
};

// The key of an event for frequent / lossyFrequent: the given attributes, or all of them.
void EventKey(const RowStore& store, uint32_t slot, const std::vector<int>& cols, size_t ncols,
              std::string* key) {
  key->clear();
  if (cols.empty()) {
    for (size_t c = 0; c < ncols; ++c) store.AppendKey(slot, static_cast<int>(c), key);
    return;
  }
  for (int c : cols) store.AppendKey(slot, c, key);
}

// frequent(n[, attrs]): the latest event of each of the (at most n) most frequent keys, counted
// with Misra-Gries as in Siddhi's frequent window. A key's new event expires its previous one; a
// new key beyond n lowers every count by one, expiring the keys that reach zero, and is not taken
// if there is still no room.
class FrequentWindow final : public Window {
 public:
  FrequentWindow(const Schema& s, int64_t n, std::vector<int> keys)
      : store_(s), n_(static_cast<size_t>(n)), keys_(std::move(keys)), ncols_(s.size()) {}
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    rejected_ = false;
    uint32_t slot = store_.Add(in, row, ts);
    EventKey(store_, slot, keys_, ncols_, &key_);
    auto it = events_.find(key_);
    if (it != events_.end()) {
      ++counts_[key_];
      store_.AppendTo(it->second, EventKind::kExpired, ts, out);
      store_.Free(it->second);
      it->second = slot;
      store_.AppendTo(slot, EventKind::kCurrent, ts, out);
      return;
    }
    if (events_.size() >= n_) {
      for (auto c = counts_.begin(); c != counts_.end();) {
        if (--c->second == 0) {
          uint32_t old = events_.at(c->first);
          store_.AppendTo(old, EventKind::kExpired, ts, out);
          store_.Free(old);
          events_.erase(c->first);
          c = counts_.erase(c);
        } else {
          ++c;
        }
      }
      if (events_.size() >= n_) {
        store_.Free(slot);
        rejected_ = true;
        return;
      }
    }
    events_.emplace(key_, slot);
    counts_[key_] = 1;
    store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }
  bool Rejected() const override { return rejected_; }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/frequent", 1);
    store_.Snapshot(w);
    w.U64(events_.size());
    for (const auto& [key, slot] : events_) {
      w.Str(key);
      w.U32(slot);
      w.I64(counts_.at(key));
    }
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/frequent", 1)) return;
    store_.Restore(r);
    events_.clear();
    counts_.clear();
    uint64_t n = r.Size(20);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string key = r.Str();
      events_[key] = r.U32();
      counts_[key] = r.I64();
    }
  }

 private:
  RowStore store_;
  size_t n_;
  std::vector<int> keys_;
  size_t ncols_;
  std::map<std::string, uint32_t> events_;  // ordered: expiry order is deterministic
  std::map<std::string, int64_t> counts_;
  std::string key_;
  bool rejected_ = false;
};

// lossyFrequent(support[, error][, attrs]): lossy counting (Manku and Motwani) as in Siddhi: keys
// whose count may reach `support` of all events are kept (their latest event); at the end of
// every bucket of 1/error events, keys that cannot are expired. An arrival is emitted only while
// its key's count is at least (support - error) of all events.
class LossyFrequentWindow final : public Window {
 public:
  LossyFrequentWindow(const Schema& s, double support, double error, std::vector<int> keys)
      : store_(s), support_(support), error_(error), keys_(std::move(keys)), ncols_(s.size()) {
    width_ = static_cast<int64_t>(std::ceil(1.0 / error));
  }
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    rejected_ = false;
    ++total_;
    int64_t bucket = (total_ + width_ - 1) / width_;
    uint32_t slot = store_.Add(in, row, ts);
    EventKey(store_, slot, keys_, ncols_, &key_);
    auto it = counts_.find(key_);
    if (it != counts_.end()) {
      ++it->second.count;
      uint32_t old = events_.at(key_);
      if (it->second.emitted) store_.AppendTo(old, EventKind::kExpired, ts, out);
      store_.Free(old);
      events_[key_] = slot;
    } else {
      it = counts_.emplace(key_, Count{1, bucket - 1, false}).first;
      events_.emplace(key_, slot);
    }
    bool keep = it->second.count >= (support_ - error_) * static_cast<double>(total_);
    it->second.emitted = keep;
    if (keep) {
      store_.AppendTo(slot, EventKind::kCurrent, ts, out);
    } else {
      rejected_ = true;
    }
    if (total_ % width_ == 0) {
      for (auto c = counts_.begin(); c != counts_.end();) {
        if (c->second.count + c->second.delta <= bucket) {
          uint32_t s = events_.at(c->first);
          // Only what was emitted as current can expire.
          if (c->second.emitted) store_.AppendTo(s, EventKind::kExpired, ts, out);
          store_.Free(s);
          events_.erase(c->first);
          c = counts_.erase(c);
        } else {
          ++c;
        }
      }
    }
  }
  bool Rejected() const override { return rejected_; }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/lossyFrequent", 1);
    store_.Snapshot(w);
    w.I64(total_);
    w.U64(counts_.size());
    for (const auto& [key, c] : counts_) {
      w.Str(key);
      w.I64(c.count);
      w.I64(c.delta);
      w.Bool(c.emitted);
      w.U32(events_.at(key));
    }
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/lossyFrequent", 1)) return;
    store_.Restore(r);
    total_ = r.I64();
    counts_.clear();
    events_.clear();
    uint64_t n = r.Size(29);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string key = r.Str();
      Count& c = counts_[key];
      c.count = r.I64();
      c.delta = r.I64();
      c.emitted = r.Bool();
      events_[key] = r.U32();
    }
  }

 private:
  struct Count {
    int64_t count;
    int64_t delta;
    bool emitted;  // its event went out as current
  };
  RowStore store_;
  double support_, error_;
  std::vector<int> keys_;
  size_t ncols_;
  int64_t width_ = 1;
  int64_t total_ = 0;
  std::map<std::string, uint32_t> events_;
  std::map<std::string, Count> counts_;
  std::string key_;
  bool rejected_ = false;
};

// expression('condition'): after each arrival, the oldest events expire until the condition over
// the window (its aggregates, and the arriving event's attributes) holds, or the window is empty.
class ExpressionWindow final : public Window {
 public:
  ExpressionWindow(const Schema& s, const WindowPlan& p) : store_(s), schema_(s) {
    Schema eval = s;
    for (size_t i = 0; i < p.condition_aggregates.size(); ++i) {
      const plan::AggregatePlan& a = p.condition_aggregates[i];
      DataType arg_type = a.arg ? a.arg->type : DataType::Null();
      aggs_.push_back(MakeAggregator(a, arg_type, /*windowed=*/true, /*fifo=*/true));
      aggs_.back()->Grow(1);
      std::unique_ptr<VecExpr> arg;
      if (a.arg) {
        auto compiled = Compile(*a.arg);
        if (compiled.ok()) arg = std::move(compiled).value();
      }
      args_.push_back(std::move(arg));
      eval.Add("_agg" + std::to_string(i), a.type);
    }
    auto cond = Compile(*p.condition);
    if (cond.ok()) cond_ = std::move(cond).value();
    eval_.Reset(eval);
    one_.Reset(s);
    no_arg_ = Column(DataType::Bool());
    no_arg_.Resize(1);
  }

  // Expired events are emitted before the arrival (as Siddhi inserts them), unless the arrival
  // itself expired: then it is current first, and expired with the others.
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = store_.Add(in, row, ts);
    fifo_.push_back(slot);
    Apply(in, row, true);
    expired_.clear();
    while (!fifo_.empty() && !Holds(in, row)) {
      uint32_t old = fifo_.front();
      fifo_.pop_front();
      scratch_.Reset(schema_);
      store_.AppendTo(old, EventKind::kExpired, ts, &scratch_);
      Apply(scratch_.batch, 0, false);
      expired_.push_back(old);
    }
    bool self_expired = !expired_.empty() && expired_.back() == slot;
    if (self_expired) store_.AppendTo(slot, EventKind::kCurrent, ts, out);
    for (uint32_t old : expired_) {
      store_.AppendTo(old, EventKind::kExpired, ts, out);
      store_.Free(old);
    }
    if (!self_expired) store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/expression", 1);
    store_.Snapshot(w);
    WriteSlots(w, fifo_);
    for (const auto& a : aggs_) a->Snapshot(w);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/expression", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &fifo_);
    for (auto& a : aggs_) a->Restore(r);
  }

 private:
  // Adds (or removes) the aggregate arguments of row `row` of `b`.
  void Apply(const Batch& b, size_t row, bool add) {
    uint32_t r = static_cast<uint32_t>(row);
    ctx_.Reset(b.num_rows());
    for (size_t i = 0; i < aggs_.size(); ++i) {
      const Column& col = args_[i] ? args_[i]->Eval(ctx_, b, Selection{&r, 1}) : no_arg_;
      if (add) {
        aggs_[i]->Add(0, col, 0);
      } else {
        aggs_[i]->Remove(0, col, 0);
      }
    }
  }
  // The condition, for the arriving event with the window's current aggregates.
  bool Holds(const Batch& in, size_t row) {
    if (!cond_) return true;
    eval_.Clear();
    size_t r = eval_.AddRow(in.timestamp(row));
    for (size_t c = 0; c < in.num_columns(); ++c) eval_.column(c).CopyRow(in.column(c), row, r);
    for (size_t i = 0; i < aggs_.size(); ++i)
      aggs_[i]->Get(0, &eval_.column(in.num_columns() + i), r, &eval_.arena());
    ctx_.Reset(1);
    const Column& v = cond_->Eval(ctx_, eval_, Selection::All(1));
    return v.valid()[0] && v.ints()[0];
  }

  RowStore store_;
  Schema schema_;
  std::deque<uint32_t> fifo_;
  std::vector<std::unique_ptr<Aggregator>> aggs_;
  std::vector<std::unique_ptr<VecExpr>> args_;
  std::unique_ptr<VecExpr> cond_;
  Batch eval_, one_;
  EventChunk scratch_;
  std::vector<uint32_t> expired_;
  Column no_arg_;
  EvalContext ctx_;
};

}  // namespace

std::unique_ptr<Window> MakeWindow(const WindowPlan& p, const Schema& s, bool emit_on_arrival) {
  using K = WindowPlan::Kind;
  switch (p.kind) {
    case K::kLength:
      return std::make_unique<LengthWindow>(s, p.length);
    case K::kLengthBatch:
      return std::make_unique<LengthBatchWindow>(s, p.length, emit_on_arrival);
    case K::kTime:
      return std::make_unique<TimeWindow>(s, p.time_ms, 0, TimeWindow::Mode::kSliding);
    case K::kTimeLength:
      return std::make_unique<TimeWindow>(s, p.time_ms, p.length, TimeWindow::Mode::kSliding);
    case K::kTimeBatch:
    case K::kExternalTimeBatch:
      return std::make_unique<TimeBatchWindow>(s, p, emit_on_arrival);
    case K::kExternalTime:
      return std::make_unique<ExternalTimeWindow>(s, p.time_column, p.time_ms);
    case K::kSliding:
      return std::make_unique<HoppingWindow>(s, p.time_ms, p.slide_ms);
    case K::kSession:
      return std::make_unique<SessionWindow>(s, p.time_ms, p.key_column, emit_on_arrival);
    case K::kSort:
      return std::make_unique<SortWindow>(s, p.length, p.key_column, p.descending);
    case K::kUnique:
      return std::make_unique<UniqueWindow>(s, p.key_column, false);
    case K::kFirstUnique:
      return std::make_unique<UniqueWindow>(s, p.key_column, true);
    case K::kDelay:
      return std::make_unique<TimeWindow>(s, p.time_ms, 0, TimeWindow::Mode::kDelay);
    case K::kFrequent:
      return std::make_unique<FrequentWindow>(s, p.length, p.key_columns);
    case K::kLossyFrequent:
      return std::make_unique<LossyFrequentWindow>(s, p.support, p.error, p.key_columns);
    case K::kExpression:
      return std::make_unique<ExpressionWindow>(s, p);
  }
  return nullptr;
}

}  // namespace sluice::exec
