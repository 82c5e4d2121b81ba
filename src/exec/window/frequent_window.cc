// WINDOW('frequent', n[, attrs]) and ('lossyFrequent', support, error[, attrs]): the events
// of the most frequent keys.
#include "exec/window/window_kinds.h"

#include <cmath>
#include <map>

#include "common/row_key.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

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

}  // namespace

std::unique_ptr<Window> MakeFrequentWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<FrequentWindow>(s, p.length, p.key_columns);
}

std::unique_ptr<Window> MakeLossyFrequentWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<LossyFrequentWindow>(s, p.support, p.error, p.key_columns);
}

}  // namespace sluice::exec
