#include "exec/join/join.h"

#include <algorithm>
#include <span>

#include "common/row_key.h"

namespace sluice::exec {

Result<std::unique_ptr<JoinOp>> JoinOp::Make(const plan::QueryPlan& plan, QueryEnv env,
                                             BatchConsumer* rest, TimedWork* rest_timed,
                                             bool driven_by_clock, const Table* tables[2]) {
  std::unique_ptr<JoinOp> op(new JoinOp(plan, std::move(env), rest, rest_timed, driven_by_clock));
  op->sides_[0].table = tables[0];
  op->sides_[1].table = tables[1];
  RETURN_IF_ERROR(op->Init());
  return op;
}

JoinOp::JoinOp(const plan::QueryPlan& plan, QueryEnv env, BatchConsumer* rest,
               TimedWork* rest_timed, bool driven_by_clock)
    : MultiStreamOp(plan.join->joined->schema, rest, rest_timed, driven_by_clock),
      plan_(plan),
      env_(std::move(env)) {}

Status JoinOp::Init() {
  const plan::JoinPlan& join = *plan_.join;
  const Schema& joined = join.joined->schema;
  candidates_.Reset(joined);
  for (int s = 0; s < 2; ++s) {
    Side& side = sides_[s];
    side.plan = s == 0 ? &join.left : &join.right;
    side.first_column = s == 0 ? 0 : join.left.stream->schema.size();
    const Schema& schema = side.plan->stream->schema;
    if (side.plan->filter) {
      ASSIGN_OR_RETURN(side.filter, Compile(*side.plan->filter));
    }
    if (side.plan->window) {
      side.window = MakeWindow(*side.plan->window, schema, /*emit_on_arrival=*/false);
    }
    side.chunk.Reset(schema);
    ports_[s].op = this;
    ports_[s].side = s;
  }
  if (join.on) {
    ASSIGN_OR_RETURN(on_, Compile(*join.on));
    int width = static_cast<int>(join.left.stream->schema.size());
    int total = static_cast<int>(join.joined->schema.size());
    for (auto [right, left] : plan::EqualityPairs(*join.on, width, total))
      equi_keys_.push_back({left, right - width});
    for (auto [left, right] : equi_keys_) {
      sides_[0].key_columns.push_back(left);
      sides_[1].key_columns.push_back(right);
    }
    for (int s = 0; s < 2; ++s) {
      const Table* table = sides_[1 - s].table;
      if (!table || !table->has_key()) continue;
      for (int k : table->def().primary_key) {
        int from = -1;
        for (auto [l, r] : equi_keys_)
          if ((s == 0 ? r : l) == k) from = s == 0 ? l : r;
        if (from < 0) {
          table_key_from_[s].clear();
          break;
        }
        table_key_from_[s].push_back(from);
      }
    }
  }
  const plan::MissingRowPlan& missing = join.missing;
  for (int s = 0; s < 2; ++s) {
    if (!sides_[1 - s].table) continue;
    for (Batch* b :
         {&waiting_, &retrying_, &staged_, &staged_retries_, &running_, &running_retries_})
      b->Reset(sides_[s].plan->stream->schema);
    defaults_.Reset(sides_[1 - s].table->def().schema);
    defaults_.AddRow(0);
    for (const auto& [column, text] : missing.defaults)
      defaults_.SetValue(0, static_cast<size_t>(column), Value(text));  // checked by the planner
  }
  return Status::OK();
}

void JoinOp::Receive(int s, const Batch& batch) {
  if (!LookupCache(s) || table_key_from_[s].empty()) return Arrive(s, batch);
  {
    std::lock_guard<std::mutex> lock(stage_mu_);
    staged_.AppendRows(batch, 0, batch.num_rows());
  }
  StageWork(this);
}

void JoinOp::RunStaged() {
  std::lock_guard<std::mutex> order(run_mu_);
  {
    std::lock_guard<std::mutex> lock(stage_mu_);
    std::swap(staged_, running_);
    std::swap(staged_retries_, running_retries_);
    std::swap(staged_retried_, running_retried_);
    staged_.Clear();
    staged_retries_.Clear();
    staged_retried_.clear();
  }
  int s = sides_[0].table ? 1 : 0;  // the stream side
  TableCache* cache = LookupCache(s);
  if (!cache) return;
  TableCache::Pins pins;
  // The waiting arrivals are looked up in the store again, whatever the cache holds.
  Status st;
  if (running_retries_.num_rows() > 0)
    st = cache->Acquire(running_retries_, table_key_from_[s], /*refresh=*/true, &pins);
  if (st.ok() && running_.num_rows() > 0)
    st = cache->Acquire(running_, table_key_from_[s], /*refresh=*/false, &pins);
  if (!st.ok()) {
    cache->Release(&pins);
    LookupFailed(st, running_.num_rows(), running_retries_.num_rows());
    return;
  }
  if (running_retries_.num_rows() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < running_retries_.num_rows(); ++i)
      Probe(s, running_retries_, i, running_retries_.timestamp(i), running_retried_[i]);
    Flush();
  }
  if (running_.num_rows() > 0) Arrive(s, running_);
  cache->Release(&pins);
}

void JoinOp::LookupFailed(const Status& st, size_t arrivals, size_t waiting) {
  // The arrivals had not come in yet; the waiting ones had, and had been counted out (held).
  env_.counters->events_in.fetch_add(arrivals, std::memory_order_relaxed);
  env_.counters->events_out.fetch_sub(waiting, std::memory_order_relaxed);
  env_.counters->dropped.fetch_add(arrivals + waiting, std::memory_order_relaxed);
  LogFailure(env_.counters, "query " + plan_.name + ": " + std::to_string(arrivals + waiting) +
                                " event(s) were not joined: " + st.message());
  if (env_.fail) env_.fail(st);
}

void JoinOp::Arrive(int s, const Batch& batch) {
  size_t n = batch.num_rows();
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  Side& side = sides_[s];
  env_.counters->events_in.fetch_add(n, std::memory_order_relaxed);
  Selection sel = Selection::All(n);
  if (side.filter) {
    const Column& keep =
        EvalCondition(*side.filter, ctx_, Now(), batch, sel, &env_.counters->errors);
    passing_.clear();
    for (size_t k = 0; k < n; ++k)
      if (IsTrue(keep, k)) passing_.push_back(static_cast<uint32_t>(k));
    sel = Selection{passing_.data(), passing_.size()};
    env_.counters->filtered.fetch_add(n - sel.size, std::memory_order_relaxed);
  }
  size_t taken = sel.size;
  for (size_t k = 0; k < sel.size; ++k) {
    uint32_t r = sel[k];
    int64_t ts = batch.timestamp(r);
    AdvanceLocked(ts);
    if (!side.window) {
      // Nothing is kept: the arrival only probes.
      if (side.plan->triggers) Probe(s, batch, r, ts);
      continue;
    }
    if (side.window->IsLate(ts)) {
      --taken;
      env_.counters->late.fetch_add(1, std::memory_order_relaxed);
      env_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
      LogFailure(env_.counters, "query " + plan_.name + ": dropped a late event of '" +
                                    side.plan->stream->name + "' (ts " + std::to_string(ts) +
                                    "): its window has closed");
      continue;
    }
    side.chunk.Clear();
    side.window->Add(batch, r, ts, &side.chunk);
    Apply(s, side.chunk);
  }
  env_.counters->events_out.fetch_add(taken, std::memory_order_relaxed);
  Flush();
}

void JoinOp::AdvanceLocked(int64_t now) {
  if (now <= now_) return;
  now_ = now;
  for (int s = 0; s < 2; ++s) {
    Side& side = sides_[s];
    if (!side.window) continue;
    side.chunk.Clear();
    side.window->Advance(now, &side.chunk);
    Apply(s, side.chunk);
  }
}

void JoinOp::Apply(int s, const EventChunk& chunk) {
  Side& side = sides_[s];
  for (size_t i = 0; i < chunk.size(); ++i) {
    switch (chunk.kinds[i]) {
      case EventKind::kCurrent: {
        // It joins when the window emits it, at the time the window gives: its own for a batch
        // window's events (as Siddhi's), the end of its delay for a delay window's.
        if (side.plan->triggers) Probe(s, chunk.batch, i, chunk.emit_ts[i]);
        // A side holds what its window holds: a delay window lets go of what it emits.
        if (side.window->store().id(chunk.slots[i]) != chunk.ids[i]) break;
        Held h{chunk.ids[i], chunk.slots[i]};
        side.held.push_back(h);
        if (!side.key_columns.empty())
          side.by_key[KeyOf(chunk.batch, i, side.key_columns)].push_back(h);
        break;
      }
      case EventKind::kExpired: {
        // By identity: NaN, NULL and repeated rows leave as they came. Most windows expire their
        // oldest event; the others (sort, unique, ...) any of them.
        uint64_t id = chunk.ids[i];
        auto same = [id](const Held& h) { return h.id == id; };
        auto it = !side.held.empty() && side.held.front().id == id
                      ? side.held.begin()
                      : std::find_if(side.held.begin(), side.held.end(), same);
        if (it == side.held.end()) break;
        side.held.erase(it);
        if (!side.key_columns.empty()) {
          auto k = side.by_key.find(KeyOf(chunk.batch, i, side.key_columns));
          if (k != side.by_key.end()) {
            std::vector<Held>& list = k->second;
            list.erase(std::find_if(list.begin(), list.end(), same));
            if (list.empty()) side.by_key.erase(k);
          }
        }
        break;
      }
      case EventKind::kReset:
        side.held.clear();
        side.by_key.clear();
        break;
    }
  }
}

void JoinOp::Probe(int s, const Batch& from, size_t row, int64_t ts, int64_t retried) {
  const Side& mine = sides_[s];
  const Side& other = sides_[1 - s];
  auto copy_mine = [&](Batch* out, size_t at) {
    out->CopyRowInto(from, row, at, mine.first_column);
  };
  candidates_.Clear();
  size_t matched = 0;
  const RowStore* store = other.table    ? &other.table->store()
                          : other.window ? &other.window->store()
                                         : nullptr;
  if (other.table) {
    // A table: the row with the key, when ON gives the whole key; else every row.
    if (!table_lock_.owns_lock()) table_lock_ = std::unique_lock<std::mutex>(other.table->mu());
    slots_.clear();
    if (!table_key_from_[s].empty()) {
      int64_t slot = other.table->Find(from, row, table_key_from_[s]);
      if (slot >= 0) slots_.push_back(static_cast<uint32_t>(slot));
    } else {
      slots_ = other.table->rows();
    }
    BuildCandidates(s, from, row, ts, *store, slots_.begin(), slots_.end(), false);
  } else if (other.window && !other.key_columns.empty()) {
    auto k = other.by_key.find(KeyOf(from, row, mine.key_columns));
    if (k != other.by_key.end())
      BuildCandidates(s, from, row, ts, *store, k->second.begin(), k->second.end(),
                      /*keys_equal=*/true);
  } else if (other.window) {
    BuildCandidates(s, from, row, ts, *store, other.held.begin(), other.held.end(), false);
  }
  if (other.table || (other.window && !other.held.empty())) {
    size_t n = candidates_.num_rows();
    const Column* keep = nullptr;
    if (on_ && n > 0)
      keep =
          &EvalCondition(*on_, ctx_, Now(), candidates_, Selection::All(n), &env_.counters->errors);
    for (size_t k = 0; k < n; ++k) {
      if (keep && !IsTrue(*keep, k)) continue;
      out_.AppendRow(candidates_, k);
      ++matched;
    }
  }
  if (matched == 0 && other.table && plan_.join->missing.action != plan::MissingRow::kAsJoin)
    return Missing(s, from, row, ts, retried);
  if (matched == 0 && mine.plan->outer) {
    size_t at = out_.AddRow(ts);  // the other side's attributes stay NULL
    copy_mine(&out_, at);
  }
}

void JoinOp::Missing(int s, const Batch& from, size_t row, int64_t ts, int64_t retried) {
  using plan::MissingRow;
  const plan::MissingRowPlan& missing = plan_.join->missing;
  const Side& mine = sides_[s];
  const Side& other = sides_[1 - s];
  MissingRow action = missing.action;
  if (action == MissingRow::kRetry && (retried >= missing.retries || input_ended_))
    action = mine.plan->outer ? MissingRow::kNulls : MissingRow::kSkip;  // as the join says
  switch (action) {
    case MissingRow::kAsJoin:
    case MissingRow::kSkip:
      return;
    case MissingRow::kNulls:
    case MissingRow::kDefaults: {
      size_t at = out_.AddRow(ts);
      out_.CopyRowInto(from, row, at, mine.first_column);
      if (action == MissingRow::kDefaults) out_.CopyRowInto(defaults_, 0, at, other.first_column);
      return;
    }
    case MissingRow::kRetry: {
      int64_t now = retry_now_ != kNever ? retry_now_ : Now();
      waiting_.AppendRow(from, row);
      waiting_due_.push_back(now < kNever - missing.delay_ms ? now + missing.delay_ms : kNever - 1);
      waiting_retried_.push_back(retried + 1);
      return;
    }
    case MissingRow::kFail: {
      if (failed_) return;
      failed_ = true;
      std::string key;
      for (int c : table_key_from_[s])
        key += (key.empty() ? "" : ", ") +
               from.column(static_cast<size_t>(c)).GetValue(row).ToString();
      env_.fail(Status::RuntimeError(
          "query " + plan_.name + ": no row of table '" + other.table->def().name +
          "' matches ON for an event of '" + mine.plan->stream->name + "'" +
          (key.empty() ? "" : " with the key " + key) + " (ts " + std::to_string(ts) +
          "), and @join(missing='fail') fails the app"));
      return;
    }
  }
}

void JoinOp::OnClockLocked(int64_t now) {
  if (waiting_.num_rows() == 0) return;
  int s = sides_[0].table ? 1 : 0;  // the stream side: only its arrivals wait
  retry_now_ = now;
  std::swap(waiting_, retrying_);
  std::swap(waiting_due_, retrying_due_);
  std::swap(waiting_retried_, retrying_retried_);
  waiting_.Clear();
  waiting_due_.clear();
  waiting_retried_.clear();
  for (size_t i = 0; i < retrying_.num_rows(); ++i) {
    if (retrying_due_[i] > now) {  // not yet: it waits on, in its place
      waiting_.AppendRow(retrying_, i);
      waiting_due_.push_back(retrying_due_[i]);
      waiting_retried_.push_back(retrying_retried_[i]);
      continue;
    }
    if (LookupCache(s) && !table_key_from_[s].empty() && !input_ended_) {
      // The store is asked again as staged work, with no lock held. (Once the input has ended
      // the last look is at the cache, so that the answer comes before the final flush.)
      std::lock_guard<std::mutex> lock(stage_mu_);
      staged_retries_.AppendRow(retrying_, i);
      staged_retried_.push_back(retrying_retried_[i]);
      StageWork(this);
      continue;
    }
    Probe(s, retrying_, i, retrying_.timestamp(i), retrying_retried_[i]);
  }
  retrying_.Clear();
  retry_now_ = kNever;
}

int64_t JoinOp::ClockDeadlineLocked() const {
  int64_t d = kNever;
  for (int64_t due : waiting_due_) d = std::min(d, due);
  return d;
}

const std::string& JoinOp::KeyOf(const Batch& batch, size_t row, const std::vector<int>& columns) {
  key_.clear();
  for (int c : columns) AppendValueKey(batch.column(static_cast<size_t>(c)), row, &key_);
  return key_;
}

template <typename It>
void JoinOp::BuildCandidates(int s, const Batch& from, size_t row, int64_t ts,
                             const RowStore& store, It begin, It end, bool keys_equal) {
  const Side& mine = sides_[s];
  const Side& other = sides_[1 - s];
  for (It it = begin; it != end; ++it) {
    uint32_t slot = SlotOf(*it);
    bool equal = true;
    for (const auto& [l, r] : keys_equal ? std::span<const std::pair<int, int>>()
                                         : std::span<const std::pair<int, int>>(equi_keys_)) {
      int mine_col = s == 0 ? l : r, other_col = s == 0 ? r : l;
      equal = equal && store.ValueEquals(slot, other_col, from.column(mine_col), row);
    }
    if (!equal) continue;
    size_t at = candidates_.AddRow(ts);
    candidates_.CopyRowInto(from, row, at, mine.first_column);
    store.CopyTo(slot, &candidates_, at, other.first_column);
  }
}

int64_t JoinOp::DeadlineLocked() const {
  int64_t d = kNever;
  for (const Side& side : sides_)
    if (side.window) d = std::min(d, side.window->NextDeadline());
  return d;
}

// A side's state: its window, what it holds; the key index is rebuilt from what it holds.
StateSize JoinOp::SizeLocked() const {
  StateSize size;
  for (const Side& side : sides_) {
    if (!side.window) continue;
    size.keys += side.held.size();
    size.bytes += side.window->store().bytes() + side.held.size() * sizeof(Held);
    for (const auto& [key, list] : side.by_key)
      size.bytes += key.capacity() + sizeof(key) + list.capacity() * sizeof(Held);
  }
  size.keys += waiting_.num_rows();
  size.bytes += waiting_.num_rows() * (waiting_.num_columns() * 16 + 24);
  return size;
}

void JoinOp::SnapshotLocked(StateWriter& w) const {
  // Version 2 only with arrivals waiting: a checkpoint without any stays readable by builds
  // that know only version 1.
  bool waiting = waiting_.num_rows() > 0;
  w.Section("join", waiting ? 2 : 1);
  w.I64(now_);
  for (const Side& side : sides_) {
    w.Bool(side.window != nullptr);
    if (!side.window) continue;
    side.window->Snapshot(w);
    w.U64(side.held.size());
    for (const Held& h : side.held) {
      w.U64(h.id);
      w.U32(h.slot);
    }
  }
  if (!waiting) return;
  // Version 2: the arrivals that wait for a row of the table.
  w.WriteBatch(waiting_);
  w.Vec(waiting_due_);
  w.Vec(waiting_retried_);
}

void JoinOp::RestoreLocked(StateReader& r) {
  uint32_t version = r.Section("join", 2);
  if (!version) return;
  now_ = r.I64();
  for (Side& side : sides_) {
    if (r.Bool() != (side.window != nullptr))
      return r.Fail("a join's sides differ from its state's");
    if (!side.window) continue;
    side.window->Restore(r);
    side.held.clear();
    side.by_key.clear();
    const RowStore& store = side.window->store();
    uint64_t n = r.Size(12);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      Held h;
      h.id = r.U64();
      h.slot = r.U32();
      if (h.slot >= store.capacity() || store.id(h.slot) != h.id)
        return r.Fail("a join side refers to an event its window does not hold");
      side.held.push_back(h);
      if (side.key_columns.empty()) continue;
      key_.clear();
      for (int c : side.key_columns) store.AppendKey(h.slot, c, &key_);
      side.by_key[key_].push_back(h);
    }
  }
  waiting_.Clear();
  waiting_due_.clear();
  waiting_retried_.clear();
  if (version < 2 || !r.ok()) return;
  Batch saved;
  r.ReadBatch(&saved);
  waiting_due_ = r.Vec<int64_t>();
  waiting_retried_ = r.Vec<int64_t>();
  if (!r.ok()) return;
  if (saved.num_rows() != waiting_due_.size() || saved.num_rows() != waiting_retried_.size())
    return r.Fail("a join's waiting arrivals do not add up");
  waiting_.Clear();
  if (saved.num_rows() == 0) return;
  if (saved.num_columns() != waiting_.num_columns())
    return r.Fail("a join's waiting arrivals are not of its stream's attributes");
  for (size_t c = 0; c < saved.num_columns(); ++c)
    if (saved.column(c).type() != waiting_.column(c).type())
      return r.Fail("a join's waiting arrivals are not of its stream's attributes");
  waiting_.AppendRows(saved, 0, saved.num_rows());
}

}  // namespace sluice::exec
