// SESSION(gap) and WINDOW('session', gap[, key]): a session per key closes after a gap.
#include "exec/window/window_kinds.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "common/row_key.h"
#include "common/time_math.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

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

}  // namespace

std::unique_ptr<Window> MakeSessionWindow(const WindowPlan& p, const Schema& s,
                                          bool emit_on_arrival) {
  return std::make_unique<SessionWindow>(s, p.time_ms, p.key_column, emit_on_arrival);
}

}  // namespace sluice::exec
