#include "exec/pattern/pattern.h"

#include <algorithm>

#include "common/row_key.h"
#include "common/time_math.h"

namespace sluice::exec {

Result<std::unique_ptr<PatternOp>> PatternOp::Make(const plan::QueryPlan& plan, QueryEnv env,
                                                   BatchConsumer* rest, TimedWork* rest_timed,
                                                   bool driven_by_clock) {
  std::unique_ptr<PatternOp> op(
      new PatternOp(plan, std::move(env), rest, rest_timed, driven_by_clock));
  RETURN_IF_ERROR(op->Init());
  return op;
}

PatternOp::PatternOp(const plan::QueryPlan& plan, QueryEnv env, BatchConsumer* rest,
                     TimedWork* rest_timed, bool driven_by_clock)
    : MultiStreamOp(plan.pattern->matched->schema, rest, rest_timed, driven_by_clock),
      plan_(plan),
      pattern_(*plan.pattern),
      env_(std::move(env)),
      store_(plan.pattern->matched->schema) {}

Status PatternOp::Init() {
  const Schema& schema = pattern_.matched->schema;
  nulls_.Reset(schema);
  nulls_.AddRow(0);
  candidates_.Reset(schema);
  for (const plan::PatternStepPlan& step : pattern_.steps) {
    std::unique_ptr<VecExpr> condition;
    std::vector<std::pair<int, int>> keys;
    if (step.condition) {
      ASSIGN_OR_RETURN(condition, Compile(*step.condition));
      int first = step.first_column;
      for (auto [mine, earlier] : plan::EqualityPairs(
               *step.condition, first, first + static_cast<int>(step.stream->schema.size())))
        if (earlier < first) keys.push_back({mine - first, earlier});
    }
    conditions_.push_back(std::move(condition));
    equi_keys_.push_back(std::move(keys));
    std::unique_ptr<VecExpr> joint;
    if (step.joint_condition) {
      ASSIGN_OR_RETURN(joint, Compile(*step.joint_condition));
    }
    joint_conditions_.push_back(std::move(joint));
  }
  for (const plan::StreamDef* stream : plan_.Sources()) {
    auto port = std::make_unique<Port>();
    port->op = this;
    port->stream = stream;
    port->index = ports_.size();
    for (const plan::PatternStepPlan& step : pattern_.steps)
      if (step.stream == stream) port->key_columns = step.partition_columns;
    ports_.push_back(std::move(port));
  }
  // A state TTL bounds how long a partial match waits (as WITHIN would), and how long a
  // partition lives without an event.
  within_ms_ = pattern_.within_ms;
  if (plan_.state.ttl_ms > 0)
    within_ms_ = within_ms_ < 0 ? plan_.state.ttl_ms : std::min(within_ms_, plan_.state.ttl_ms);
  // Without PARTITION BY, one pattern; with it, one per key value, made when the key first comes.
  partitioned_ = !pattern_.steps[0].partition_columns.empty();
  if (!partitioned_) {
    instances_.push_back(std::make_unique<Instance>());
    instances_.back()->by_port.resize(ports_.size());
  }
  return Status::OK();
}

BatchConsumer* PatternOp::port(const plan::StreamDef* stream) {
  for (auto& p : ports_)
    if (p->stream == stream) return p.get();
  return nullptr;
}

void PatternOp::StartIfNeeded(int64_t now) {
  if (cur_->started) return;
  cur_->started = true;
  AddWaiter(now);
}

void PatternOp::AddWaiter(int64_t now) {
  const plan::PatternStepPlan& first = pattern_.steps[0];
  // After the end of input a NOT at the start waits for no more silences.
  int64_t deadline = first.absent && !input_ended_ ? TimeAdd(now, first.for_ms) : kNever;
  Insert({store_.Add(nulls_, 0, now), 0, 0, 0, deadline, /*waiter=*/true, next_seq_++,
          /*has_start=*/false});
}

void PatternOp::PortsOf(const Partial& p, std::vector<size_t>* ports) const {
  ports->clear();
  const std::vector<plan::PatternStepPlan>& steps = pattern_.steps;
  auto add = [&](const plan::StreamDef* stream) {
    for (const auto& port : ports_)
      if (port->stream == stream &&
          std::find(ports->begin(), ports->end(), port->index) == ports->end())
        ports->push_back(port->index);
  };
  using Joint = plan::PatternStepPlan::Joint;
  const plan::PatternStepPlan& step = steps[p.step];
  if (step.joint != Joint::kNone) {
    for (int side = 0; side < 2; ++side)
      if (!(p.count & (1 << side))) add(steps[p.step + side].stream);
    return;
  }
  size_t next = p.step + 1;
  if (!step.absent && p.count >= step.min_count && next < steps.size() && !steps[next].absent) {
    add(steps[next].stream);
    if (steps[next].joint != Joint::kNone) add(steps[next + 1].stream);
  }
  if (step.max_count < 0 || p.count < step.max_count) add(step.stream);
}

void PatternOp::Insert(const Partial& p) {
  Instance& in = *cur_;
  in.by_seq.emplace(p.seq, p);
  PortsOf(p, &ports_scratch_);
  for (size_t port : ports_scratch_) in.by_port[port].insert(p.seq);
  if (p.deadline != kNever) in.by_deadline.insert({p.deadline, p.seq});
  if (within_ms_ >= 0 && p.has_start) in.by_start.insert({p.start, p.seq});
}

PatternOp::Partial PatternOp::Take(uint64_t seq) {
  Instance& in = *cur_;
  auto it = in.by_seq.find(seq);
  Partial p = it->second;
  in.by_seq.erase(it);
  PortsOf(p, &ports_scratch_);
  for (size_t port : ports_scratch_) in.by_port[port].erase(seq);
  if (p.deadline != kNever) in.by_deadline.erase({p.deadline, seq});
  if (within_ms_ >= 0 && p.has_start) in.by_start.erase({p.start, seq});
  return p;
}

void PatternOp::Settle(Partial p, int64_t ts, std::vector<Partial>* next) {
  p.waiter = false;
  if (!p.has_start) {
    p.start = ts;
    p.has_start = true;
  }
  for (;;) {
    const plan::PatternStepPlan& step = pattern_.steps[p.step];
    if (step.joint != plan::PatternStepPlan::Joint::kNone) {
      // Two steps as one; count has a bit per side taken.
      bool done = step.joint == plan::PatternStepPlan::Joint::kAnd ? p.count == 3 : p.count != 0;
      if (!done) break;
      if (p.step + 2 == pattern_.steps.size()) {
        size_t at = out_.AddRow(ts);
        store_.CopyTo(p.slot, &out_, at);
        store_.Free(p.slot);
        return;
      }
      p.step += 2;
      p.count = 0;
      const plan::PatternStepPlan& next_step = pattern_.steps[p.step];
      p.deadline = next_step.absent ? TimeAdd(ts, next_step.for_ms) : kNever;
      continue;
    }
    // Reluctant, as Siddhi's counts: the last element completes as soon as it has its minimum.
    if (p.count >= step.min_count && p.step + 1 == pattern_.steps.size()) {
      size_t at = out_.AddRow(ts);
      store_.CopyTo(p.slot, &out_, at);
      store_.Free(p.slot);
      return;
    }
    if (step.max_count < 0 || p.count < step.max_count) break;
    ++p.step;
    p.count = 0;
    const plan::PatternStepPlan& next_step = pattern_.steps[p.step];
    p.deadline = next_step.absent ? TimeAdd(ts, next_step.for_ms) : kNever;
  }
  next->push_back(p);
}

void PatternOp::Expire(int64_t now) {
  if (within_ms_ < 0) return;
  Instance& in = *cur_;
  bool any = false;
  while (!in.by_start.empty() && TimeSub(now, in.by_start.begin()->first) > within_ms_) {
    store_.Free(Take(in.by_start.begin()->second).slot);
    any = true;
  }
  if (any && pattern_.every == plan::PatternPlan::Every::kGroup && in.by_seq.empty())
    AddWaiter(now);
}

void PatternOp::AdvanceTo(int64_t now) {
  StartIfNeeded(now);
  Instance& in = *cur_;
  // NOT steps pass in the order of their deadlines; a match that WITHIN ends first expires.
  while (!in.by_deadline.empty() && in.by_deadline.begin()->first <= now) {
    auto [t, seq] = *in.by_deadline.begin();
    Expire(t);
    if (!in.by_deadline.count({t, seq})) continue;  // it expired
    Partial p = Take(seq);
    std::vector<Partial> next;
    if (p.waiter && pattern_.every == plan::PatternPlan::Every::kFirst) {
      // The waiter stays, waiting for the next silence (none after the end of input); a copy
      // moves on.
      Partial waiter = p;
      waiter.deadline = input_ended_ ? kNever : TimeAdd(t, pattern_.steps[0].for_ms);
      Insert(waiter);
      candidates_.Clear();
      size_t at = candidates_.AddRow(t);
      store_.CopyTo(p.slot, &candidates_, at);
      p.slot = store_.Add(candidates_, at, t);
      p.seq = next_seq_++;
    }
    p.count = 1;  // the NOT step is done
    Settle(p, t, &next);
    for (const Partial& q : next) Insert(q);
    if (pattern_.every == plan::PatternPlan::Every::kGroup && in.by_seq.empty()) AddWaiter(t);
  }
  Expire(now);
}

void PatternOp::Match(const Batch& event, const Port& port, size_t row) {
  int64_t ts = event.timestamp(row);
  const plan::StreamDef* stream = port.stream;
  const std::vector<plan::PatternStepPlan>& steps = pattern_.steps;
  Instance& in = *cur_;
  // The partials this event may move, in start order: those of its port; in a SEQUENCE every
  // partial (an event that one cannot take ends it). Only those it changes are re-indexed.
  seqs_.clear();
  if (pattern_.sequence) {
    for (const auto& [seq, p] : in.by_seq) seqs_.push_back(seq);
    std::sort(seqs_.begin(), seqs_.end());
  } else {
    seqs_.assign(in.by_port[port.index].begin(), in.by_port[port.index].end());
  }
  partials_.clear();
  for (uint64_t seq : seqs_) partials_.push_back(in.by_seq.at(seq));
  // What each partial could do with the event: move on to its next step (it has the minimum of
  // its current one), or take it at its current step (a count not full yet, or a NOT). One
  // candidate row per option, with the event in that step's columns.
  candidates_.Clear();
  options_.clear();
  auto offer = [&](size_t i, size_t target, bool move_on, int side_bit) {
    const Partial& p = partials_[i];
    for (auto [mine, earlier] : equi_keys_[target])
      if (!store_.ValueEquals(p.slot, earlier, event.column(mine), row)) return;
    const plan::PatternStepPlan& step = steps[target];
    size_t at = candidates_.AddRow(ts);
    store_.CopyTo(p.slot, &candidates_, at);
    // A counted step's first event is also its e[0].
    int count = move_on || side_bit ? 0 : p.count;
    // The event is the step's latest; for a counted step's first event, also its e[0].
    int groups[2] = {step.event_column, -1};
    if (step.first_column != step.event_column && count == 0) groups[1] = step.first_column;
    for (int group : groups)
      if (group >= 0) candidates_.CopyRowInto(event, row, at, static_cast<size_t>(group));
    options_.push_back({i, target, move_on, side_bit, true});
  };
  using Joint = plan::PatternStepPlan::Joint;
  for (size_t i = 0; i < partials_.size(); ++i) {
    const Partial& p = partials_[i];
    const plan::PatternStepPlan& step = steps[p.step];
    if (step.joint != Joint::kNone) {
      for (int side = 0; side < 2; ++side)
        if (!(p.count & (1 << side)) && steps[p.step + side].stream == stream)
          offer(i, p.step + side, /*move_on=*/false, 1 << side);
      continue;
    }
    size_t next = p.step + 1;
    if (!step.absent && p.count >= step.min_count && next < steps.size() && !steps[next].absent) {
      if (steps[next].joint != Joint::kNone) {
        for (int side = 0; side < 2; ++side)
          if (steps[next + side].stream == stream)
            offer(i, next + side, /*move_on=*/true, 1 << side);
      } else if (steps[next].stream == stream) {
        offer(i, next, /*move_on=*/true, 0);
      }
    }
    if (step.stream == stream && (step.max_count < 0 || p.count < step.max_count))
      offer(i, p.step, /*move_on=*/false, 0);
  }
  // Every step's condition over the candidates aimed at it, a vectorised pass per step.
  const int64_t now = env_.clock ? env_.clock->NowMillis() : ts;
  for (size_t s = 0; s < steps.size(); ++s) {
    if (!conditions_[s]) continue;
    rows_.clear();
    for (size_t k = 0; k < options_.size(); ++k)
      if (options_[k].step == s) rows_.push_back(static_cast<uint32_t>(k));
    if (rows_.empty()) continue;
    const Column& keep =
        EvalCondition(*conditions_[s], ctx_, now, candidates_,
                      Selection{rows_.data(), rows_.size()}, &env_.counters->errors);
    for (size_t j = 0; j < rows_.size(); ++j) options_[rows_[j]].pass = IsTrue(keep, j);
  }
  // Conditions between the two sides of an AND / OR, once the partner is there.
  for (size_t s = 0; s + 1 < steps.size(); ++s) {
    if (!joint_conditions_[s]) continue;
    rows_.clear();
    for (size_t k = 0; k < options_.size(); ++k) {
      const Option& o = options_[k];
      int partner = o.side_bit == 1 ? 2 : 1;
      if (o.pass && o.side_bit && o.step - (o.side_bit == 2) == s && !o.move_on &&
          (partials_[o.partial].count & partner))
        rows_.push_back(static_cast<uint32_t>(k));
    }
    if (rows_.empty()) continue;
    const Column& keep =
        EvalCondition(*joint_conditions_[s], ctx_, now, candidates_,
                      Selection{rows_.data(), rows_.size()}, &env_.counters->errors);
    for (size_t j = 0; j < rows_.size(); ++j) options_[rows_[j]].pass = IsTrue(keep, j);
  }
  for (const Option& o : options_) event_taken_ = event_taken_ || o.pass;
  std::vector<Partial>& next = next_;
  next.clear();
  size_t k = 0;
  bool consumed = false;  // a partial match took the event (a NOT it broke does not count)
  for (size_t i = 0; i < partials_.size(); ++i) {
    Partial p = partials_[i];
    // Its passing option, moving on first (reluctant).
    const Option* chosen = nullptr;
    for (; k < options_.size() && options_[k].partial == i; ++k)
      if (!chosen && options_[k].pass) chosen = &options_[k];
    if (!chosen) {
      // A SEQUENCE is strict: an event that a started match cannot take ends it.
      if (pattern_.sequence && !p.waiter) store_.Free(Take(p.seq).slot);
      continue;  // otherwise it waits on, as it was
    }
    size_t cand = static_cast<size_t>(chosen - options_.data());
    const plan::PatternStepPlan& step = steps[chosen->step];
    consumed = consumed || !step.absent;
    if (step.absent) {
      Take(p.seq);
      if (p.waiter) {
        p.deadline = TimeAdd(ts, step.for_ms);  // a NOT at the start waits for a silence afresh
        next.push_back(p);
      } else {
        store_.Free(p.slot);  // what must not come came
      }
      continue;
    }
    // EVERY on the first element: the waiter keeps waiting, as it was, and a copy moves on, after
    // the partial matches already under way (they are older).
    bool spawn = p.waiter && pattern_.every == plan::PatternPlan::Every::kFirst;
    if (spawn) {
      p.slot = store_.Add(candidates_, cand, ts);
      p.seq = next_seq_++;
    } else {
      Take(p.seq);
      store_.Overwrite(p.slot, candidates_, cand, ts);
    }
    if (chosen->side_bit) {
      // One side of an AND / OR: the partial waits at the pair's first step.
      if (chosen->move_on) p.count = 0;
      p.step = chosen->step - (chosen->side_bit == 2 ? 1 : 0);
      p.count |= chosen->side_bit;
    } else if (chosen->move_on) {
      p.step = chosen->step;
      p.count = 1;
    } else {
      ++p.count;
    }
    Settle(p, ts, spawn ? &spawned_ : &next);
  }
  next.insert(next.end(), spawned_.begin(), spawned_.end());
  spawned_.clear();
  for (const Partial& p : next) Insert(p);
  if (pattern_.every == plan::PatternPlan::Every::kGroup && in.by_seq.empty()) {
    AddWaiter(ts);
    // The event broke the match (a SEQUENCE's strictness, a NOT) and took no part in one: the
    // pattern starts again with it, if its first element takes it.
    if (!consumed) Match(event, port, row);
  }
}

void PatternOp::Leave(Instance* instance) {
  instance->deadline =
      instance->by_deadline.empty() ? kNever : instance->by_deadline.begin()->first;
  // Partitioned, the earliest of all may be stale (too early): a sweep then recomputes it.
  next_deadline_ = partitioned_ ? std::min(next_deadline_, instance->deadline) : instance->deadline;
  cur_ = nullptr;
}

void PatternOp::AdvanceLocked(int64_t now) {
  if (now <= now_) return;
  now_ = now;
  if (!partitioned_) {
    // One pattern: it starts the first time time is seen (a NOT at the start counts from then).
    Enter(instances_[0].get());
    AdvanceTo(now);
    Leave(instances_[0].get());
    return;
  }
  if (now < next_deadline_) return;
  next_deadline_ = kNever;
  for (auto& instance : instances_) {
    if (instance->deadline > now) {
      next_deadline_ = std::min(next_deadline_, instance->deadline);
      continue;
    }
    Enter(instance.get());
    AdvanceTo(now);
    Leave(instance.get());
  }
}

PatternOp::Instance* PatternOp::InstanceFor(const Port& port, const Batch& batch, size_t row) {
  if (port.key_columns.empty()) return instances_[0].get();
  key_.clear();
  for (int c : port.key_columns) AppendValueKey(batch.column(static_cast<size_t>(c)), row, &key_);
  auto it = by_key_.find(key_);
  if (it != by_key_.end()) return it->second;
  if (plan_.state.max_keys > 0 && by_key_.size() >= static_cast<size_t>(plan_.state.max_keys))
    return nullptr;
  instances_.push_back(std::make_unique<Instance>());
  instances_.back()->by_port.resize(ports_.size());
  by_key_.emplace(key_, instances_.back().get());
  return instances_.back().get();
}

void PatternOp::Arrive(const Port& port, const Batch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  env_.counters->events_in.fetch_add(batch.num_rows(), std::memory_order_relaxed);
  taken_ = 0;
  refused_.clear();
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    int64_t ts = batch.timestamp(r);
    Instance* instance = InstanceFor(port, batch, r);
    if (!instance) {
      refused_.emplace_back(static_cast<uint32_t>(r),
                            "the pattern holds " + std::to_string(plan_.state.max_keys) +
                                " partitions (its state.max.keys): a new key was refused");
      continue;
    }
    instance->last_event = std::max(instance->last_event, ts);
    AdvanceLocked(ts);
    Enter(instance);
    AdvanceTo(ts);
    event_taken_ = false;
    Match(batch, port, r);
    taken_ += event_taken_;
    Leave(instance);
  }
  // An event that no element's condition took (for any partial match) is filtered.
  env_.counters->events_out.fetch_add(taken_, std::memory_order_relaxed);
  env_.counters->filtered.fetch_add(batch.num_rows() - taken_ - refused_.size(),
                                    std::memory_order_relaxed);
  if (!refused_.empty()) {
    // A pattern's events have no fault stream of their own: @onError's log, drop or fail.
    env_.counters->dropped.fetch_add(refused_.size(), std::memory_order_relaxed);
    const std::string what = "query " + plan_.name + ": dropped an event of '" + port.stream->name +
                             "' (ts " + std::to_string(batch.timestamp(refused_[0].first)) +
                             "): " + refused_[0].second;
    if (plan_.on_error == plan::ErrorAction::kFail && env_.fail) {
      env_.fail(Status::RuntimeError(what + " (@onError(action='fail'))"));
    } else if (plan_.on_error != plan::ErrorAction::kDrop) {
      for (const auto& [row, message] : refused_)
        LogFailure(env_.counters, "query " + plan_.name + ": dropped an event of '" +
                                      port.stream->name + "' (ts " +
                                      std::to_string(batch.timestamp(row)) + "): " + message);
    }
  }
  if (partitioned_ && plan_.state.ttl_ms > 0 && now_ >= next_sweep_) DropIdlePartitions();
  Flush();
}

void PatternOp::DropIdlePartitions() {
  const int64_t ttl = plan_.state.ttl_ms;
  next_sweep_ = TimeAdd(now_, std::max<int64_t>(1, ttl / 2));
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    Instance* in = it->second;
    if (TimeSub(now_, in->last_event) < ttl) {
      ++it;
      continue;
    }
    // Its partial matches go with it (their rows too); a NOT deadline it still had is dropped.
    for (const auto& [seq, p] : in->by_seq) store_.Free(p.slot);
    instances_.erase(std::find_if(instances_.begin(), instances_.end(),
                                  [in](const auto& i) { return i.get() == in; }));
    by_key_.erase(it++);
  }
}

int64_t PatternOp::DeadlineLocked() const {
  // Not started: now, so that a NOT at the start counts from when the app starts.
  if (!partitioned_ && !instances_[0]->started) return std::numeric_limits<int64_t>::min();
  return next_deadline_;
}

// The pattern's state: its rows, and per instance (per key) its partial matches; the indexes
// are rebuilt from the partials.
StateSize PatternOp::SizeLocked() const {
  // Keys: partitions (one pattern without PARTITION BY); each partial match costs its indexes.
  StateSize size;
  size.keys = partitioned_ ? by_key_.size() : 1;
  size.bytes = store_.bytes();
  for (const auto& in : instances_) size.bytes += sizeof(Instance) + in->by_seq.size() * 128;
  for (const auto& [key, in] : by_key_) size.bytes += key.capacity() + sizeof(key);
  return size;
}

void PatternOp::SnapshotLocked(StateWriter& w) const {
  w.Section("pattern", 2);
  store_.Snapshot(w);
  w.I64(next_sweep_);
  w.U64(next_seq_);
  w.I64(now_);
  w.I64(next_deadline_);
  w.Bool(input_ended_);
  w.U64(instances_.size());
  // Instances in the order their keys came; each with its key (none without PARTITION BY).
  std::vector<const std::string*> keys(instances_.size(), nullptr);
  for (const auto& [key, instance] : by_key_)
    for (size_t i = 0; i < instances_.size(); ++i)
      if (instances_[i].get() == instance) keys[i] = &key;
  for (size_t i = 0; i < instances_.size(); ++i) {
    w.Str(keys[i] ? *keys[i] : std::string());
    SnapshotInstance(w, *instances_[i]);
  }
}

void PatternOp::SnapshotInstance(StateWriter& w, const Instance& in) const {
  w.Bool(in.started);
  w.I64(in.last_event);
  std::vector<const Partial*> partials;
  for (const auto& [seq, p] : in.by_seq) partials.push_back(&p);
  std::sort(partials.begin(), partials.end(),
            [](const Partial* a, const Partial* b) { return a->seq < b->seq; });
  w.U64(partials.size());
  for (const Partial* p : partials) {
    w.U32(p->slot);
    w.U64(p->step);
    w.I64(p->count);
    w.I64(p->start);
    w.I64(p->deadline);
    w.Bool(p->waiter);
    w.U64(p->seq);
    w.Bool(p->has_start);
  }
}

void PatternOp::RestoreLocked(StateReader& r) {
  if (!r.Section("pattern", 2)) return;
  store_.Restore(r);
  next_sweep_ = r.I64();
  next_seq_ = r.U64();
  now_ = r.I64();
  next_deadline_ = r.I64();
  input_ended_ = r.Bool();
  uint64_t n = r.Size(9);
  if (r.ok() && !partitioned_ && n != 1) return r.Fail("a pattern's instances differ");
  instances_.clear();
  by_key_.clear();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string key = r.Str();
    instances_.push_back(std::make_unique<Instance>());
    Instance* in = instances_.back().get();
    in->by_port.resize(ports_.size());
    if (partitioned_) by_key_.emplace(key, in);
    RestoreInstance(r, in);
  }
}

void PatternOp::RestoreInstance(StateReader& r, Instance* in) {
  in->started = r.Bool();
  in->last_event = r.I64();
  uint64_t n = r.Size(45);
  cur_ = in;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    Partial p;
    p.slot = r.U32();
    p.step = r.U64();
    p.count = static_cast<int>(r.I64());
    p.start = r.I64();
    p.deadline = r.I64();
    p.waiter = r.Bool();
    p.seq = r.U64();
    p.has_start = r.Bool();
    if (p.slot >= store_.capacity() || p.step >= pattern_.steps.size())
      return r.Fail("a pattern's partial match refers to what it does not have");
    Insert(p);
  }
  in->deadline = in->by_deadline.empty() ? kNever : in->by_deadline.begin()->first;
  cur_ = nullptr;
}

}  // namespace sluice::exec
