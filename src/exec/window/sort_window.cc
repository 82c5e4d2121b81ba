// WINDOW('sort', n, attr[, order]): the n events first by an attribute.
#include "exec/window/window_kinds.h"

#include <algorithm>

namespace sluice::exec {

using plan::WindowPlan;

namespace {

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

}  // namespace

std::unique_ptr<Window> MakeSortWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<SortWindow>(s, p.length, p.key_column, p.descending);
}

}  // namespace sluice::exec
