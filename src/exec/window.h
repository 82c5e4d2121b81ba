// Windows: the events a query keeps, and the events it emits as they arrive, expire or as a batch
// closes (DIALECT.md "Windows"; Siddhi's window semantics where the dialect is silent).
//
// A window turns each arriving event into an EventChunk: kCurrent for an event that enters (or,
// for a batch window, that the closing batch holds), kExpired for one that leaves (timestamped with
// its expiry), kReset where a batch window starts afresh. Time-driven windows also emit when
// Advance(watermark) passes their deadlines; nothing in a window reads a clock.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "exec/state/state_io.h"
#include "plan/plan.h"
#include "sluice/batch.h"

namespace sluice::exec {

enum class EventKind : uint8_t { kCurrent, kExpired, kReset };

// Events in order, each with its kind. Rows have the input stream's schema; strings are copied
// into the chunk's arena, so a chunk does not depend on the window's storage. A row's timestamp is
// the event's own time (so that what aggregates read of it, eventTimestamp() included, is the
// same when it leaves as when it came); `emit_ts` is the time it is emitted at: its expiry for
// an expired event, the close time for a batch that closes.
// A window that closes several times at once (a batch per period, a session per key) marks the end
// of each closing with Break(), so that each closing is aggregated on its own.
// Each event also carries its identity in the window: `ids` (a sequence number, never reused;
// 0 for a reset) and `slots` (where the window's store() keeps it while the window holds it), so
// that what leaves is found by identity, never by comparing values.
struct EventChunk {
  Batch batch;
  std::vector<EventKind> kinds;
  std::vector<int64_t> emit_ts;
  std::vector<uint64_t> ids;
  std::vector<uint32_t> slots;
  std::vector<size_t> breaks;  // ends of closings, ascending

  void Reset(const Schema& schema) {
    batch.Reset(schema);
    Clear();
  }
  void Clear() {
    batch.Clear();
    kinds.clear();
    emit_ts.clear();
    ids.clear();
    slots.clear();
    breaks.clear();
  }
  size_t size() const { return kinds.size(); }
  void AddReset(int64_t ts);
  void Break() {
    if (!kinds.empty() && (breaks.empty() || breaks.back() != kinds.size()))
      breaks.push_back(kinds.size());
  }
};

// Events kept by a window, in slots that stay put until freed. Strings are owned per slot. Each
// event stored (by Add or Overwrite) gets an id, a sequence number that is never reused: the
// event's identity while the store keeps it.
class RowStore {
 public:
  explicit RowStore(const Schema& schema);
  uint32_t Add(const Batch& in, size_t row, int64_t ts);
  void Free(uint32_t slot);
  int64_t ts(uint32_t slot) const { return ts_[slot]; }
  // The id of the event in `slot`; 0 once the slot is freed.
  uint64_t id(uint32_t slot) const { return ids_[slot]; }
  size_t live() const { return live_; }
  // About how many bytes the slots take (strings counted at their capacity).
  uint64_t bytes() const;
  // Slots made so far, live or free.
  size_t capacity() const { return ts_.size(); }
  // Appends the event in `slot` to `out` as `kind`, emitted at `emit_ts`.
  void AppendTo(uint32_t slot, EventKind kind, int64_t emit_ts, EventChunk* out) const;
  // Appends attribute `col` of `slot` to `out` as key bytes (common/row_key.h).
  void AppendKey(uint32_t slot, int col, std::string* out) const;
  // Orders two slots by attribute `col` (NULL first); <0, 0, >0.
  int Compare(uint32_t a, uint32_t b, int col) const;
  // Replaces the event in `slot` with row `row` of `in` (strings reuse the slot's storage).
  void Overwrite(uint32_t slot, const Batch& in, size_t row, int64_t ts);
  // Writes the event in `slot` into row `row` of `out`, from column `first_column` on (strings
  // into out's arena).
  void CopyTo(uint32_t slot, Batch* out, size_t row, size_t first_column = 0) const;
  // Whether attribute `col` of `slot` equals row `row` of `in` (same physical type); NULL equals
  // nothing, as in SQL.
  bool ValueEquals(uint32_t slot, int col, const Column& in, size_t row) const;
  // The attribute as a time in ms (for externalTime); false when NULL.
  bool TimeOf(uint32_t slot, int col, int64_t* ms) const;
  // Every slot, live or free, and the free list (slot numbers stay valid across a restore).
  void Snapshot(StateWriter& w) const;
  void Restore(StateReader& r);

 private:
  struct Col {
    PhysicalType type;
    std::vector<int64_t> ints;
    std::vector<double> doubles;
    std::vector<std::string> strings;
    std::vector<uint8_t> valid;
  };
  std::vector<Col> cols_;
  std::vector<int64_t> ts_;
  std::vector<uint64_t> ids_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  uint64_t next_id_ = 1;
};

class Window {
 public:
  virtual ~Window() = default;
  // An event arrives (row `row` of `in`, event time `ts`): appends what the window emits. The
  // caller has already advanced the window to the watermark that this event implies.
  virtual void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) = 0;
  // The watermark moved to `now`: expire and flush what is due.
  virtual void Advance(int64_t now, EventChunk* out) {}
  // The next watermark at which Advance has work; max() when none.
  virtual int64_t NextDeadline() const { return std::numeric_limits<int64_t>::max(); }
  // True when an event of time `ts` belongs to a part of the window that has already closed.
  virtual bool IsLate(int64_t ts) const { return false; }
  // True when the event was not taken (firstUnique drops repeats).
  virtual bool Rejected() const { return false; }
  // Windows kept per key of the query (SESSION per GROUP BY key): the key of the event that the
  // next Add gets, as bytes (common/row_key.h). Others ignore it.
  virtual void SetKey(std::string_view key) {}
  // Where the events of its chunks are kept (EventChunk::slots) while it holds them: an operator
  // that keeps what the window holds (a join side) reads them there instead of copying them.
  virtual const RowStore& store() const = 0;
  // The window's state: the events it holds and where its time stands (exec/state/state_io.h).
  // Restore into a window made from the same plan; a bad state fails the reader.
  virtual void Snapshot(StateWriter& w) const = 0;
  virtual void Restore(StateReader& r) = 0;
};

// `emit_on_arrival`: batch windows emit each event as it arrives (EMIT CHANGES) instead of when
// the batch closes. `watermark` windows (time-based) use Advance; the others ignore it.
std::unique_ptr<Window> MakeWindow(const plan::WindowPlan& plan, const Schema& schema,
                                   bool emit_on_arrival);

}  // namespace sluice::exec
