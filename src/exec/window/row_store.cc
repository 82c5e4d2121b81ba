// The store of a window's events (RowStore: slots with ids, reused when freed) and EventChunk.
#include "exec/window.h"

#include "common/row_key.h"

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

}  // namespace sluice::exec
