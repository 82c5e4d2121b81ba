// WINDOW('unique', attr) and ('firstUnique', attr): the latest (or first) event per key.
#include "exec/window/window_kinds.h"

#include "absl/container/flat_hash_map.h"
#include "common/row_key.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

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

}  // namespace

std::unique_ptr<Window> MakeUniqueWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<UniqueWindow>(s, p.key_column, p.kind == WindowPlan::Kind::kFirstUnique);
}

}  // namespace sluice::exec
