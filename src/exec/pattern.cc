#include "exec/pattern.h"

#include <algorithm>

namespace sluice::exec {

Result<std::unique_ptr<PatternOp>> PatternOp::Make(const plan::QueryPlan& plan, QueryEnv env,
                                                   std::unique_ptr<BatchConsumer> rest,
                                                   TimedWork* rest_timed, bool driven_by_clock) {
  std::unique_ptr<PatternOp> op(
      new PatternOp(plan, std::move(env), std::move(rest), rest_timed, driven_by_clock));
  RETURN_IF_ERROR(op->Init());
  return op;
}

PatternOp::PatternOp(const plan::QueryPlan& plan, QueryEnv env, std::unique_ptr<BatchConsumer> rest,
                     TimedWork* rest_timed, bool driven_by_clock)
    : plan_(plan),
      pattern_(*plan.pattern),
      env_(std::move(env)),
      rest_(std::move(rest)),
      rest_timed_(rest_timed),
      driven_by_clock_(driven_by_clock),
      store_(plan.pattern->matched->schema) {}

Status PatternOp::Init() {
  const Schema& schema = pattern_.matched->schema;
  nulls_.Reset(schema);
  nulls_.AddRow(0);
  candidates_.Reset(schema);
  matched_.Reset(schema);
  for (const plan::PatternStepPlan& step : pattern_.steps) {
    std::unique_ptr<VecExpr> condition;
    std::vector<std::pair<int, int>> keys;
    if (step.condition) {
      ASSIGN_OR_RETURN(condition, Compile(*step.condition));
      int first = step.first_column;
      for (auto [mine, earlier] : EqualityPairs(
               *step.condition, first, first + static_cast<int>(step.stream->schema.size())))
        if (earlier < first) keys.push_back({mine - first, earlier});
    }
    conditions_.push_back(std::move(condition));
    equi_keys_.push_back(std::move(keys));
  }
  for (const plan::StreamDef* stream : plan_.Sources()) {
    auto port = std::make_unique<Port>();
    port->op = this;
    port->stream = stream;
    ports_.push_back(std::move(port));
  }
  return Status::OK();
}

BatchConsumer* PatternOp::port(const plan::StreamDef* stream) {
  for (auto& p : ports_)
    if (p->stream == stream) return p.get();
  return nullptr;
}

void PatternOp::StartIfNeeded(int64_t now) {
  if (started_) return;
  started_ = true;
  AddWaiter(now);
}

void PatternOp::AddWaiter(int64_t now) {
  const plan::PatternStepPlan& first = pattern_.steps[0];
  partials_.push_back({store_.Add(nulls_, 0, now), 0, -1,
                       first.absent ? now + first.for_ms : kNever,
                       /*waiter=*/true});
}

void PatternOp::Passed(Partial p, int64_t ts, std::vector<Partial>* next) {
  p.waiter = false;
  if (p.start < 0) p.start = ts;
  ++p.step;
  if (p.step == pattern_.steps.size()) {
    size_t at = matched_.AddRow(ts);
    store_.CopyTo(p.slot, &matched_, at);
    store_.Free(p.slot);
    return;
  }
  const plan::PatternStepPlan& step = pattern_.steps[p.step];
  p.deadline = step.absent ? ts + step.for_ms : kNever;
  next->push_back(p);
}

void PatternOp::AdvanceTo(int64_t now) {
  StartIfNeeded(now);
  if (now <= now_) return;
  now_ = now;
  auto expire = [&](int64_t t) {
    if (pattern_.within_ms < 0) return;
    size_t kept = 0;
    for (const Partial& p : partials_) {
      if (p.start >= 0 && t - p.start > pattern_.within_ms) {
        store_.Free(p.slot);
        continue;
      }
      partials_[kept++] = p;
    }
    partials_.resize(kept);
    if (pattern_.every == plan::PatternPlan::Every::kGroup && partials_.empty()) AddWaiter(t);
  };
  // NOT steps pass in the order of their deadlines; a match that WITHIN ends first expires.
  for (;;) {
    size_t best = partials_.size();
    for (size_t i = 0; i < partials_.size(); ++i)
      if (partials_[i].deadline <= now &&
          (best == partials_.size() || partials_[i].deadline < partials_[best].deadline))
        best = i;
    if (best == partials_.size()) break;
    int64_t t = partials_[best].deadline;
    size_t before = partials_.size();
    expire(t);
    if (partials_.size() != before) continue;  // indices moved: look again
    Partial p = partials_[best];
    std::vector<Partial> next;
    if (p.waiter && pattern_.every == plan::PatternPlan::Every::kFirst) {
      // The waiter stays, waiting for the next silence; a copy moves on.
      partials_[best].deadline = t + pattern_.steps[0].for_ms;
      candidates_.Clear();
      size_t at = candidates_.AddRow(t);
      store_.CopyTo(p.slot, &candidates_, at);
      p.slot = store_.Add(candidates_, at, t);
    } else {
      partials_.erase(partials_.begin() + static_cast<long>(best));
    }
    Passed(p, t, &next);
    partials_.insert(partials_.begin() + static_cast<long>(std::min(best, partials_.size())),
                     next.begin(), next.end());
    if (pattern_.every == plan::PatternPlan::Every::kGroup && partials_.empty()) AddWaiter(t);
  }
  expire(now);
}

void PatternOp::Match(const Batch& event, const plan::StreamDef* stream, size_t row) {
  int64_t ts = event.timestamp(row);
  waiting_.clear();
  for (size_t i = 0; i < partials_.size(); ++i) {
    const Partial& p = partials_[i];
    if (pattern_.steps[p.step].stream != stream) continue;
    bool equal = true;
    for (auto [mine, earlier] : equi_keys_[p.step])
      equal = equal && store_.ValueEquals(p.slot, earlier, event.column(mine), row);
    if (equal) waiting_.push_back(i);
  }
  if (waiting_.empty()) return;
  // Each waiting partial with the event in its step's columns.
  candidates_.Clear();
  size_t width = stream->schema.size();
  for (size_t i : waiting_) {
    size_t at = candidates_.AddRow(ts);
    store_.CopyTo(partials_[i].slot, &candidates_, at);
    size_t first = static_cast<size_t>(pattern_.steps[partials_[i].step].first_column);
    for (size_t c = 0; c < width; ++c) {
      const Column& src = event.column(c);
      candidates_.column(first + c).CopyRow(src, row, at);
      if (src.type().physical() == PhysicalType::kString && !src.IsNull(row))
        candidates_.SetString(at, first + c, src.strings()[row].view());
    }
  }
  // Every step's condition over the candidates waiting at it, a vectorised pass per step.
  std::vector<uint8_t>& pass = pass_;
  pass.assign(waiting_.size(), 1);
  std::vector<uint32_t>& rows = rows_;
  for (size_t s = 0; s < pattern_.steps.size(); ++s) {
    if (!conditions_[s]) continue;
    rows.clear();
    for (size_t k = 0; k < waiting_.size(); ++k)
      if (partials_[waiting_[k]].step == s) rows.push_back(static_cast<uint32_t>(k));
    if (rows.empty()) continue;
    ctx_.Reset(candidates_.num_rows());
    ctx_.now_ms = env_.clock ? env_.clock->NowMillis() : ts;
    const Column& keep =
        conditions_[s]->Eval(ctx_, candidates_, Selection{rows.data(), rows.size()});
    for (size_t j = 0; j < rows.size(); ++j) pass[rows[j]] = keep.valid()[j] && keep.ints()[j] != 0;
    if (ctx_.has_errors())
      env_.counters->errors.fetch_add(ctx_.errors().size(), std::memory_order_relaxed);
  }
  std::vector<Partial>& next = next_;
  next.clear();
  size_t k = 0;
  for (size_t i = 0; i < partials_.size(); ++i) {
    Partial p = partials_[i];
    bool waits = k < waiting_.size() && waiting_[k] == i;
    size_t cand = k;
    if (waits) ++k;
    if (!waits || !pass[cand]) {
      next.push_back(p);
      continue;
    }
    const plan::PatternStepPlan& step = pattern_.steps[p.step];
    if (step.absent) {
      if (p.waiter) {
        p.deadline = ts + step.for_ms;  // a NOT at the start waits for a silence afresh
        next.push_back(p);
      } else {
        store_.Free(p.slot);  // what must not come came
      }
      continue;
    }
    if (p.waiter && pattern_.every == plan::PatternPlan::Every::kFirst) {
      next.push_back(p);  // EVERY on the first element: it keeps waiting, a copy moves on
      p.slot = store_.Add(candidates_, cand, ts);
    } else {
      store_.Overwrite(p.slot, candidates_, cand, ts);
    }
    Passed(p, ts, &next);
  }
  partials_.swap(next);  // the old list's capacity is reused next time
  if (pattern_.every == plan::PatternPlan::Every::kGroup && partials_.empty()) AddWaiter(ts);
}

void PatternOp::Arrive(const plan::StreamDef* stream, const Batch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    AdvanceTo(batch.timestamp(r));
    Match(batch, stream, r);
  }
  Flush();
}

void PatternOp::Flush() {
  if (matched_.num_rows() == 0) return;
  rest_->Push(matched_);
  matched_.Clear();
}

void PatternOp::OnTime(int64_t now_ms) {
  if (driven_by_clock_) {
    std::lock_guard<std::mutex> lock(mu_);
    AdvanceTo(now_ms);
    Flush();
  }
  if (rest_timed_) rest_timed_->OnTime(now_ms);
}

int64_t PatternOp::NextDeadline() const {
  int64_t d = kNever;
  if (driven_by_clock_) {
    std::lock_guard<std::mutex> lock(mu_);
    // Not started: now, so that a NOT at the start counts from when the app starts.
    if (!started_) return std::numeric_limits<int64_t>::min();
    for (const Partial& p : partials_) d = std::min(d, p.deadline);
  }
  if (rest_timed_) d = std::min(d, rest_timed_->NextDeadline());
  return d;
}

}  // namespace sluice::exec
