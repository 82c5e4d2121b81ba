#include "exec/stateful_query_op.h"

#include "exec/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <limits>

#include "absl/strings/string_view.h"
#include "common/log.h"
#include "common/row_key.h"
#include "common/time_math.h"

namespace sluice::exec {

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

void CopyCell(const Column& src, size_t from, Column* dst, size_t to, StringArena* arena) {
  if (src.IsNull(from)) return dst->SetNull(to);
  switch (src.type().physical()) {
    case PhysicalType::kInt64:
      dst->SetInt(to, src.ints()[from]);
      break;
    case PhysicalType::kDouble:
      dst->SetDouble(to, src.doubles()[from]);
      break;
    case PhysicalType::kString:
      dst->SetString(to, arena->Add(src.strings()[from].view()));
      break;
  }
}

int CompareCells(const Column& c, size_t a, size_t b) {
  bool na = c.IsNull(a), nb = c.IsNull(b);
  if (na || nb) return static_cast<int>(nb) - static_cast<int>(na);  // NULL sorts lowest
  switch (c.type().physical()) {
    case PhysicalType::kInt64:
      return (c.ints()[a] > c.ints()[b]) - (c.ints()[a] < c.ints()[b]);
    case PhysicalType::kDouble:
      return (c.doubles()[a] > c.doubles()[b]) - (c.doubles()[a] < c.doubles()[b]);
    case PhysicalType::kString:
      return c.strings()[a].view().compare(c.strings()[b].view());
  }
  return 0;
}

}  // namespace

StatefulQueryOp::StatefulQueryOp(const plan::QueryPlan& plan, QueryEnv env, bool driven_by_clock)
    : plan_(plan),
      env_(std::move(env)),
      driven_by_clock_(driven_by_clock),
      max_ts_(std::numeric_limits<int64_t>::min()) {}

StatefulQueryOp::~StatefulQueryOp() = default;

const char* StatefulPath::Name() const {
  switch (kind) {
    case Kind::kGeneral:
      return "row store";
    case Kind::kRing:
      return ring_length > 0 || ring_time > 0 ? "columnar ring" : "column kernels";
    case Kind::kBatch:
      return "in-place aggregates";
  }
  return "row store";
}

Result<std::unique_ptr<StatefulQueryOp>> StatefulQueryOp::Make(const plan::QueryPlan& plan,
                                                               QueryEnv env, bool driven_by_clock,
                                                               StatefulPath path) {
  std::unique_ptr<StatefulQueryOp> op(new StatefulQueryOp(plan, std::move(env), driven_by_clock));
  RETURN_IF_ERROR(op->Init(path));
  return op;
}

Status StatefulQueryOp::Init(StatefulPath path) {
  const Schema& in = plan_.input->schema;
  aggregating_ = !plan_.aggregates.empty() || !plan_.group_by.empty();
  per_event_ = !plan_.EmitsOnClose();
  lateness_ = plan_.input->event_time.allowed_lateness_ms;
  if (plan_.filter) {
    ASSIGN_OR_RETURN(filter_, Compile(*plan_.filter));
  }
  direct_ = path.kind == StatefulPath::Kind::kRing;
  batch_direct_ = path.kind == StatefulPath::Kind::kBatch;
  ring_length_ = path.ring_length;
  ring_time_ = path.ring_time;
  update_late_ = path.update_late;
  ttl_ = aggregating_ && !plan_.group_by.empty() ? plan_.state.ttl_ms : 0;
  max_keys_ = !plan_.group_by.empty() ? plan_.state.max_keys : 0;
  if (update_late_) {
    retention_ = std::max(plan_.window->time_ms, lateness_);
    for (const auto& g : plan_.group_by) {
      ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> e, Compile(*g));
      update_keys_.push_back(std::move(e));
    }
    for (const plan::AggregatePlan& a : plan_.aggregates) {
      std::unique_ptr<VecExpr> e;
      if (a.arg) {
        ASSIGN_OR_RETURN(e, Compile(*a.arg));
      }
      update_args_.push_back(std::move(e));
    }
  }
  if (batch_direct_) latest_ = std::make_unique<RowStore>(in);
  if (plan_.window && !direct_ && !batch_direct_) {
    window_ = MakeWindow(*plan_.window, in, per_event_);
    if (!window_) return Status::Internal("no window for " + plan_.window->sql);
  }
  for (const auto& g : plan_.group_by) {
    ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> e, Compile(*g));
    group_exprs_.push_back(std::move(e));
  }
  int_key_ =
      plan_.group_by.size() == 1 && plan_.group_by[0]->type.physical() == PhysicalType::kInt64;
  string_key_ =
      plan_.group_by.size() == 1 && plan_.group_by[0]->type.physical() == PhysicalType::kString;
  bool fifo = plan_.window && plan_.window->FifoExpiry();
  eval_schema_ = in;
  for (size_t i = 0; i < plan_.aggregates.size(); ++i) {
    const plan::AggregatePlan& a = plan_.aggregates[i];
    std::unique_ptr<VecExpr> arg;
    DataType arg_type = DataType::Null();
    if (a.arg) {
      ASSIGN_OR_RETURN(arg, Compile(*a.arg));
      arg_type = a.arg->type;
    }
    std::unique_ptr<Aggregator> agg = MakeAggregator(a, arg_type, plan_.window.has_value(), fifo);
    if (!agg) return Status::Internal("no aggregator for " + a.text);
    agg_args_.push_back(std::move(arg));
    aggs_.push_back(std::move(agg));
    eval_schema_.Add("_agg" + std::to_string(i), a.type);
  }
  no_arg_ = Column(DataType::Bool());
  if (plan_.having) {
    ASSIGN_OR_RETURN(having_, Compile(*plan_.having));
  }
  for (const plan::OrderPlan& o : plan_.order_by) {
    ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> e, Compile(*o.expr));
    order_exprs_.push_back(std::move(e));
  }
  for (const plan::OutputColumn& c : plan_.outputs) {
    ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> e, Compile(*c.expr));
    projections_.push_back(std::move(e));
  }
  chunk_.Reset(in);
  eval_.Reset(eval_schema_);
  out_.Reset(plan_.target->schema);
  rated_.Reset(plan_.target->schema);
  if (plan_.rate)
    rate_ =
        std::make_unique<RateLimiter>(*plan_.rate, plan_.target->schema, !plan_.group_by.empty());
  fault_schema_ = in;
  fault_schema_.Add("_error", DataType::String());
  std::function<bool(const plan::BoundExpr&)> clock = [&](const plan::BoundExpr& e) {
    if (e.kind == plan::BoundExpr::Kind::kFunction && plan::ReadsClock(e.fn)) return true;
    for (const auto& a : e.args)
      if (clock(*a)) return true;
    return false;
  };
  uses_clock_ = (plan_.filter && clock(*plan_.filter)) || (plan_.having && clock(*plan_.having));
  for (const auto& g : plan_.group_by) uses_clock_ |= clock(*g);
  for (const auto& a : plan_.aggregates) uses_clock_ |= a.arg && clock(*a.arg);
  for (const auto& o : plan_.order_by) uses_clock_ |= clock(*o.expr);
  for (const auto& c : plan_.outputs) uses_clock_ |= clock(*c.expr);
  if (aggregating_ && group_exprs_.empty()) {
    groups_.emplace(std::string(), 0);
    group_live_.push_back(0);
    for (auto& a : aggs_) a->Grow(1);
    cur_pos_.resize(1), exp_pos_.resize(1), cur_gen_.resize(1), exp_gen_.resize(1);
  }
  return Status::OK();
}

void StatefulQueryOp::Push(const Batch& in) {
  size_t n = in.num_rows();
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  // Latency is sampled for small batches (two clock reads per event would cost more than the work).
  bool timed = n >= 64 || (++pushes_ & 63) == 0;
  auto started = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  if (env_.counts_events) env_.counters->events_in.fetch_add(n, std::memory_order_relaxed);
  // What this batch's events became besides taken: measured around the work, so that every path
  // (filters, late events, refused ones) is accounted for.
  const uint64_t not_taken_before = NotTaken();
  ctx_.Reset(n);
  ctx_.now_ms = Now();
  Selection sel = Selection::All(n);
  if (filter_) {
    const Column& keep = filter_->Eval(ctx_, in, sel);
    selected_.resize(n);
    size_t m = 0;
    for (size_t k = 0; k < n; ++k) {
      selected_[m] = static_cast<uint32_t>(k);
      m += keep.valid()[k] & (keep.ints()[k] != 0);
    }
    size_t failed = 0;
    if (ctx_.has_errors() && plan_.on_error != plan::ErrorAction::kDefault) {
      for (const auto& e : ctx_.errors()) failed += !keep.valid()[e.first];
      RouteFailures(plan_, env_, ctx_.errors(), in, fault_schema_, &faults_);
    } else if (ctx_.has_errors()) {
      env_.counters->errors.fetch_add(ctx_.errors().size(), std::memory_order_relaxed);
    }
    if (env_.counts_events)
      env_.counters->filtered.fetch_add(n - m - failed, std::memory_order_relaxed);
    sel = Selection{selected_.data(), m};
  }
  if (max_keys_ > 0) sel = RefuseNewKeys(in, sel);
  eval_.Clear();
  eval_kinds_.clear();
  eval_chunk_.clear();
  eval_group_.clear();
  eval_corrections_.clear();
  if (direct_) {
    PushDirect(in, sel);
  } else if (batch_direct_) {
    PushBatchDirect(in, sel);
  } else if (!window_) {
    for (size_t k = 0; k < sel.size; ++k) max_ts_ = std::max(max_ts_, in.timestamp(sel[k]));
    Consume(in, sel, nullptr, nullptr, nullptr);
  } else {
    // Every event's window output goes into one chunk, a segment per event (and per closing), so
    // that grouping and aggregate arguments are evaluated once per input batch.
    chunk_.Clear();
    // A session per group: the window keys its events by the GROUP BY values.
    if (plan_.window->session_per_group) {
      window_ctx_.Reset(n);
      window_ctx_.now_ms = ctx_.now_ms;
      key_cols_.clear();
      for (auto& g : group_exprs_) key_cols_.push_back(&g->Eval(window_ctx_, in, sel));
    }
    for (size_t k = 0; k < sel.size; ++k) {
      uint32_t r = sel[k];
      int64_t ts = in.timestamp(r);
      if (plan_.window->session_per_group) {
        key_.clear();
        for (const Column* c : key_cols_) AppendValueKey(*c, k, &key_);
        window_->SetKey(key_);
      }
      if (window_->IsLate(ts)) {
        HandleLate(in, r);
        continue;
      }
      if (ts > max_ts_) {
        max_ts_ = ts;
        window_->Advance(Watermark(), &chunk_);
        chunk_.Break();
      }
      window_->Add(in, r, ts, &chunk_);
      chunk_.Break();
      if (window_->Rejected() && env_.counts_events)
        env_.counters->filtered.fetch_add(1, std::memory_order_relaxed);
    }
    ConsumeChunk(chunk_);
  }
  Finish();
  if (ttl_ > 0) SweepIdleGroups();
  if (env_.counts_events)
    env_.counters->events_out.fetch_add(n - (NotTaken() - not_taken_before),
                                        std::memory_order_relaxed);
  if (timed)
    env_.counters->latency.Record(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count()));
}

void StatefulQueryOp::OnTime(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!driven_by_clock_) return;
  eval_.Clear();
  eval_kinds_.clear();
  eval_chunk_.clear();
  eval_group_.clear();
  eval_corrections_.clear();
  if (window_ && now_ms > max_ts_) {
    max_ts_ = now_ms;
    AdvanceWindow(Watermark());
  }
  if (batch_direct_ && plan_.window->kind == plan::WindowPlan::Kind::kTimeBatch && batch_open_ &&
      now_ms >= batch_end_) {
    max_ts_ = std::max(max_ts_, now_ms);
    CloseBatchDirect(batch_end_);
  }
  if (direct_ && ring_time_ > 0 && now_ms > max_ts_) {
    max_ts_ = now_ms;
    ExpireDirect(Watermark());  // expired events are not output: only state changes
  }
  Finish();
  if (rate_) {
    rated_.Clear();
    rate_->Advance(now_ms, group_live_, &rated_);
    Emit(&rated_);
  }
}

uint64_t StatefulQueryOp::NotTaken() const {
  const QueryCounters& c = *env_.counters;
  return c.filtered.load(std::memory_order_relaxed) + c.faulted.load(std::memory_order_relaxed) +
         c.dropped.load(std::memory_order_relaxed);
}

void StatefulQueryOp::Emit(Batch* rows) {
  if (rows->num_rows() == 0) return;
  if (plan_.target->event_time.field >= 0 && !RestampFromAttribute(plan_, env_, rows)) return;
  env_.counters->rows_out.fetch_add(rows->num_rows(), std::memory_order_relaxed);
  env_.target->Push(*rows);
}

void StatefulQueryOp::EndInput() {
  std::lock_guard<std::mutex> lock(mu_);
  driven_by_clock_ = true;
  input_ended_ = true;
  if (rate_) rate_->EndInput();
}

int64_t StatefulQueryOp::Watermark() const {
  // At the end of input time is the end: what waited for the allowed lateness is due too.
  if (input_ended_ && max_ts_ == kNever) return kNever;
  return TimeSub(max_ts_, lateness_);
}

int64_t StatefulQueryOp::NextDeadline() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!driven_by_clock_) return kNever;
  int64_t d = kNever;
  if (window_) {
    int64_t w = window_->NextDeadline();
    if (w != kNever) d = TimeAdd(w, lateness_);
  }
  if (direct_ && ring_time_ > 0 && ring_.size > 0)
    d = TimeAdd(TimeAdd(ring_.ts[ring_.head], ring_time_), lateness_);
  if (batch_direct_ && batch_open_ && plan_.window->kind == plan::WindowPlan::Kind::kTimeBatch)
    d = std::min(d, batch_end_);
  if (rate_) d = std::min(d, rate_->NextDeadline());
  return d;
}

void StatefulQueryOp::AdvanceWindow(int64_t watermark) {
  chunk_.Clear();
  window_->Advance(watermark, &chunk_);
  chunk_.Break();
  ConsumeChunk(chunk_);
}

void StatefulQueryOp::ConsumeChunk(const EventChunk& chunk) {
  if (chunk.size() == 0) return;
  Consume(chunk.batch, Selection::All(chunk.size()), chunk.kinds.data(), chunk.emit_ts.data(),
          &chunk.breaks);
}

void StatefulQueryOp::EvaluateKeysAndArguments(const Batch& in, Selection sel) {
  chunk_ctx_.Reset(in.num_rows());
  chunk_ctx_.now_ms = Now();
  key_cols_.clear();
  for (auto& g : group_exprs_) key_cols_.push_back(&g->Eval(chunk_ctx_, in, sel));
  arg_cols_.clear();
  no_arg_.Resize(sel.size);
  for (auto& a : agg_args_) arg_cols_.push_back(a ? &a->Eval(chunk_ctx_, in, sel) : &no_arg_);
  if (chunk_ctx_.has_errors())
    env_.counters->errors.fetch_add(chunk_ctx_.errors().size(), std::memory_order_relaxed);
}

void StatefulQueryOp::CloseBatchDirect(int64_t close_ts) {
  if (!batch_open_) return;
  batch_open_ = false;
  batch_count_ = 0;
  ++chunk_id_;
  const size_t base = plan_.input->schema.size();
  for (uint32_t g : touched_) {
    size_t row = eval_.AddRow(close_ts);
    latest_->CopyTo(static_cast<uint32_t>(latest_slot_[g]), &eval_, row);
    for (size_t a = 0; a < aggs_.size(); ++a) {
      aggs_[a]->Get(g, &eval_.column(base + a), row, &eval_.arena());
      aggs_[a]->Reset(g);
    }
    group_live_[g] = 0;
    eval_kinds_.push_back(EventKind::kCurrent);
    eval_chunk_.push_back(chunk_id_);
    eval_group_.push_back(g);
  }
  touched_.clear();
  ++batch_gen_;
}

void StatefulQueryOp::PushBatchDirect(const Batch& in, Selection sel) {
  size_t m = sel.size;
  if (m == 0) return;
  EvaluateKeysAndArguments(in, sel);
  const plan::WindowPlan& w = *plan_.window;
  bool timed = w.kind == plan::WindowPlan::Kind::kTimeBatch;
  for (size_t k = 0; k < m; ++k) {
    uint32_t r = sel[k];
    int64_t ts = in.timestamp(r);
    if (timed) {
      if (!started_batches_) {
        // Batches start at the first event's time (Siddhi's timeBatch), or at the given start
        // (TUMBLING: the epoch plus its offset).
        started_batches_ = true;
        batch_origin_ = w.has_start ? w.start_ms : ts;
        OpenBatchAt(ts);
      }
      if (ts < batch_start_) {  // its batch has closed
        HandleLate(in, r);
        continue;
      }
      if (ts >= batch_end_) {
        CloseBatchDirect(batch_end_);
        OpenBatchAt(ts);
      }
      max_ts_ = std::max(max_ts_, ts);
    }
    batch_open_ = true;
    uint32_t g = GroupOf(k, ts);
    for (size_t a = 0; a < aggs_.size(); ++a) aggs_[a]->Add(g, *arg_cols_[a], k);
    ++group_live_[g];
    if (latest_slot_.size() <= g) latest_slot_.resize(g + 1, -1);
    if (latest_slot_[g] < 0) {
      latest_slot_[g] = latest_->Add(in, r, ts);
    } else {
      latest_->Overwrite(static_cast<uint32_t>(latest_slot_[g]), in, r, ts);
    }
    if (touched_gen_.size() <= g) touched_gen_.resize(g + 1, 0);
    if (touched_gen_[g] != batch_gen_) {
      touched_gen_[g] = batch_gen_;
      touched_.push_back(g);
    }
    if (!timed && ++batch_count_ >= w.length) CloseBatchDirect(ts);
  }
}

void StatefulQueryOp::OpenBatchAt(int64_t ts) {
  const int64_t size = plan_.window->time_ms;
  __int128 k = WindowIndexOf(ts, batch_origin_, size);
  batch_start_ = ClampTime(batch_origin_ + k * size);
  batch_end_ = ClampTime(batch_origin_ + (k + 1) * size);
}

void StatefulQueryOp::RingPop() {
  size_t i = ring_.head;
  uint32_t g = ring_.group[i];
  for (size_t a = 0; a < aggs_.size(); ++a) aggs_[a]->Remove(g, ring_.args[a], i);
  if (aggregating_) --group_live_[g];
  ring_.head = (ring_.head + 1) % ring_.cap;
  --ring_.size;
}

void StatefulQueryOp::ExpireDirect(int64_t watermark) {
  while (ring_.size > 0 && TimeAdd(ring_.ts[ring_.head], ring_time_) <= watermark) RingPop();
}

void StatefulQueryOp::PushDirect(const Batch& in, Selection sel) {
  size_t m = sel.size;
  if (m == 0) return;
  EvaluateKeysAndArguments(in, sel);
  const size_t base = in.num_columns();
  bool windowed = ring_length_ > 0 || ring_time_ > 0;
  if (windowed && ring_.cap == 0) {
    ring_.cap = ring_length_ > 0 ? static_cast<size_t>(ring_length_) : 1024;
    ring_.ts.resize(ring_.cap);
    ring_.group.resize(ring_.cap);
    for (size_t a = 0; a < aggs_.size(); ++a) {
      ring_.args.emplace_back(arg_cols_[a]->type());
      ring_.args.back().Resize(ring_.cap);
    }
  }
  eval_.Resize(m);
  kept_.clear();
  if (!windowed) {
    // No window: every event is kept. Groups first, then each aggregate over the whole batch.
    group_ids_.resize(m);
    for (size_t k = 0; k < m; ++k) {
      uint32_t g = aggregating_ ? GroupOf(k, in.timestamp(sel[k])) : 0;
      group_ids_[k] = g;
      if (aggregating_) ++group_live_[g];
      kept_.push_back(static_cast<uint32_t>(k));
      eval_group_.push_back(g);
      eval_kinds_.push_back(EventKind::kCurrent);
      eval_chunk_.push_back(++chunk_id_);
    }
    for (size_t a = 0; a < aggs_.size(); ++a)
      aggs_[a]->AddRun(group_ids_.data(), *arg_cols_[a], m, &eval_.column(base + a), 0,
                       &eval_.arena());
  }
  for (size_t k = 0; k < m && windowed; ++k) {
    int64_t ts = in.timestamp(sel[k]);
    if (ring_time_ > 0) {
      if (TimeAdd(ts, ring_time_) <= Watermark()) {
        HandleLate(in, sel[k]);
        continue;
      }
      if (ts > max_ts_) {
        max_ts_ = ts;
        ExpireDirect(Watermark());
      }
    }
    if (ring_length_ > 0 && ring_.size >= static_cast<size_t>(ring_length_)) RingPop();
    uint32_t g = aggregating_ ? GroupOf(k, ts) : 0;
    for (size_t a = 0; a < aggs_.size(); ++a) aggs_[a]->Add(g, *arg_cols_[a], k);
    if (aggregating_) ++group_live_[g];
    if (windowed) {
      if (ring_.size == ring_.cap) {  // a time window outgrew the ring: double it, in order
        Ring bigger;
        bigger.cap = ring_.cap * 2;
        bigger.ts.resize(bigger.cap);
        bigger.group.resize(bigger.cap);
        for (size_t a = 0; a < aggs_.size(); ++a) {
          bigger.args.emplace_back(ring_.args[a].type());
          bigger.args.back().Resize(bigger.cap);
        }
        for (size_t i = 0; i < ring_.size; ++i) {
          size_t from = (ring_.head + i) % ring_.cap;
          bigger.ts[i] = ring_.ts[from];
          bigger.group[i] = ring_.group[from];
          for (size_t a = 0; a < aggs_.size(); ++a) {
            const Column& src = ring_.args[a];
            Column& dst = bigger.args[a];
            dst.valid()[i] = src.valid()[from];
            if (src.type().physical() == PhysicalType::kDouble) {
              dst.doubles()[i] = src.doubles()[from];
            } else {
              dst.ints()[i] = src.ints()[from];
            }
          }
        }
        bigger.size = ring_.size;
        ring_ = std::move(bigger);
      }
      size_t at = (ring_.head + ring_.size) % ring_.cap;
      ring_.ts[at] = ts;
      ring_.group[at] = g;
      for (size_t a = 0; a < aggs_.size(); ++a) {
        const Column& src = *arg_cols_[a];
        Column& dst = ring_.args[a];
        dst.valid()[at] = src.valid()[k];
        if (src.type().physical() == PhysicalType::kDouble) {
          dst.doubles()[at] = src.doubles()[k];
        } else {
          dst.ints()[at] = src.ints()[k];
        }
      }
      ++ring_.size;
    }
    size_t row = kept_.size();
    kept_.push_back(static_cast<uint32_t>(k));
    for (size_t a = 0; a < aggs_.size(); ++a)
      aggs_[a]->Get(g, &eval_.column(base + a), row, &eval_.arena());
    eval_group_.push_back(g);
    eval_kinds_.push_back(EventKind::kCurrent);
    eval_chunk_.push_back(++chunk_id_);
  }
  // The output rows' input attributes, gathered column by column (strings stay in `in`, which
  // outlives this Push).
  size_t rows = kept_.size();
  for (size_t c = 0; c < base; ++c)
    for (size_t j = 0; j < rows; ++j) eval_.column(c).CopyRow(in.column(c), sel[kept_[j]], j);
  for (size_t j = 0; j < rows; ++j) eval_.timestamps()[j] = in.timestamp(sel[kept_[j]]);
  eval_.Resize(rows);
}

// Out of line: new groups are rare, and the lookup that calls it stays small enough to inline.
[[gnu::noinline]] uint32_t StatefulQueryOp::NewGroup() {
  if (!free_groups_.empty()) {  // a dropped group's id, already reset
    uint32_t id = free_groups_.back();
    free_groups_.pop_back();
    return id;
  }
  uint32_t id = static_cast<uint32_t>(group_live_.size());
  group_live_.push_back(0);
  for (auto& a : aggs_) a->Grow(id + 1);
  cur_pos_.push_back(0), exp_pos_.push_back(0), cur_gen_.push_back(0), exp_gen_.push_back(0);
  return id;
}

uint32_t StatefulQueryOp::FindGroup(size_t k) {
  if (group_exprs_.empty()) return 0;
  if (int_key_) {
    const Column* c = key_cols_[0];
    if (c->IsNull(k)) {
      if (null_group_ < 0) null_group_ = NewGroup();
      return static_cast<uint32_t>(null_group_);
    }
    auto [it, inserted] = int_groups_.try_emplace(c->ints()[k], 0);
    if (inserted) it->second = NewGroup();
    return it->second;
  }
  if (string_key_) {
    const Column* c = key_cols_[0];
    if (c->IsNull(k)) {
      if (null_group_ < 0) null_group_ = NewGroup();
      return static_cast<uint32_t>(null_group_);
    }
    StringRef s = c->strings()[k];
    auto it = groups_.find(absl::string_view(s.data, s.size));
    if (it != groups_.end()) return it->second;
    uint32_t id = NewGroup();
    groups_.emplace(std::string(s.view()), id);
    return id;
  }
  key_.clear();
  for (const Column* c : key_cols_) AppendValueKey(*c, k, &key_);
  auto it = groups_.find(absl::string_view(key_));
  if (it != groups_.end()) return it->second;
  uint32_t id = NewGroup();
  groups_.emplace(key_, id);
  return id;
}

// ---- bounded state (plan.state) ----------------------------------------------------------------

bool StatefulQueryOp::Running() const { return !window_ && !batch_direct_ && !direct_windowed(); }

bool StatefulQueryOp::HoldsEvents(uint32_t g) const {
  if (batch_direct_) return batch_open_ && g < touched_gen_.size() && touched_gen_[g] == batch_gen_;
  if (window_ || direct_windowed()) return group_live_[g] > 0;
  return false;  // running aggregates: the group is only its aggregates
}

void StatefulQueryOp::Touch(uint32_t g, int64_t ts) {
  if (last_seen_.size() <= g) last_seen_.resize(g + 1, kMinTime);
  // Flink's state TTL: a running group idle for the TTL is gone, and its key starts afresh (its
  // next row is an insert again). Checked on the key's own events, so results do not depend on
  // how events are batched; windows only lose groups that hold no events (SweepIdleGroups).
  if (Running() && last_seen_[g] != kMinTime && TimeSub(ts, last_seen_[g]) >= ttl_) ResetGroup(g);
  last_seen_[g] = std::max(last_seen_[g], ts);
  ttl_clock_ = std::max(ttl_clock_, ts);
}

void StatefulQueryOp::ResetGroup(uint32_t g) {
  for (auto& a : aggs_) a->Reset(g);
  group_live_[g] = 0;
  if (g < emitted_.size()) emitted_[g] = 0;
  if (g < latest_slot_.size() && latest_slot_[g] >= 0) {
    latest_->Free(static_cast<uint32_t>(latest_slot_[g]));
    latest_slot_[g] = -1;
  }
}

void StatefulQueryOp::SweepIdleGroups() {
  // An output rate keeps rows per group id: a reused id would inherit another key's.
  if (ttl_ <= 0 || rate_ || ttl_clock_ < next_sweep_) return;
  next_sweep_ = TimeAdd(ttl_clock_, std::max<int64_t>(1, ttl_ / 2));
  auto idle = [&](uint32_t g) {
    return g < last_seen_.size() && last_seen_[g] != kMinTime &&
           TimeSub(ttl_clock_, last_seen_[g]) >= ttl_ && !HoldsEvents(g);
  };
  auto forget = [&](uint32_t g) {
    ResetGroup(g);
    last_seen_[g] = kMinTime;
    free_groups_.push_back(g);
    ++evicted_;
  };
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (!idle(it->second)) {
      ++it;
      continue;
    }
    forget(it->second);
    groups_.erase(it++);
  }
  for (auto it = int_groups_.begin(); it != int_groups_.end();) {
    if (!idle(it->second)) {
      ++it;
      continue;
    }
    forget(it->second);
    int_groups_.erase(it++);
  }
  if (null_group_ >= 0 && idle(static_cast<uint32_t>(null_group_))) {
    forget(static_cast<uint32_t>(null_group_));
    null_group_ = -1;
  }
}

bool StatefulQueryOp::HasGroup(size_t k) {
  if (int_key_ || string_key_) {
    const Column* c = key_cols_[0];
    if (c->IsNull(k)) return null_group_ >= 0;
    if (int_key_) return int_groups_.contains(c->ints()[k]);
    key_.assign(c->strings()[k].view());
    return groups_.contains(key_);
  }
  // By std::string, not string_view: a second caller of FindGroup's lookup would keep the
  // compiler from inlining it there, on the path every event takes.
  key_.clear();
  for (const Column* c : key_cols_) AppendValueKey(*c, k, &key_);
  return groups_.contains(key_);
}

Selection StatefulQueryOp::RefuseNewKeys(const Batch& in, Selection sel) {
  window_ctx_.Reset(in.num_rows());
  window_ctx_.now_ms = ctx_.now_ms;
  key_cols_.clear();
  for (auto& g : group_exprs_) key_cols_.push_back(&g->Eval(window_ctx_, in, sel));
  const size_t live = group_live_.size() - free_groups_.size();
  new_keys_.clear();
  admitted_.clear();
  refused_.clear();
  for (size_t k = 0; k < sel.size; ++k) {
    if (!HasGroup(k)) {
      std::string key;
      for (const Column* c : key_cols_) AppendValueKey(*c, k, &key);
      if (!new_keys_.contains(key)) {
        if (live + new_keys_.size() >= static_cast<size_t>(max_keys_)) {
          refused_.emplace_back(sel[k], "the query holds " + std::to_string(max_keys_) +
                                            " keys (its state.max.keys): a new key was refused");
          continue;
        }
        new_keys_.insert(std::move(key));
      }
    }
    admitted_.push_back(sel[k]);
  }
  if (refused_.empty()) return sel;
  RouteFailures(plan_, env_, refused_, in, fault_schema_, &faults_);
  return Selection{admitted_.data(), admitted_.size()};
}

void StatefulQueryOp::ResetGroups() {
  for (uint32_t g = 0; g < group_live_.size(); ++g) {
    for (auto& a : aggs_) a->Reset(g);
    group_live_[g] = 0;
  }
  std::fill(emitted_.begin(), emitted_.end(), 0);
}

void StatefulQueryOp::WriteEvalRow(size_t pos, const Batch& b, size_t row, uint32_t group,
                                   int64_t ts) {
  eval_.timestamps()[pos] = ts;
  size_t nin = b.num_columns();
  for (size_t c = 0; c < nin; ++c)
    CopyCell(b.column(c), row, &eval_.column(c), pos, &eval_.arena());
  for (size_t a = 0; a < aggs_.size(); ++a)
    aggs_[a]->Get(group, &eval_.column(nin + a), pos, &eval_.arena());
}

size_t StatefulQueryOp::AppendEvalRow(const Batch& b, size_t row, uint32_t group, EventKind kind,
                                      int64_t ts) {
  size_t pos = eval_.AddRow(ts);
  WriteEvalRow(pos, b, row, group, ts);
  eval_kinds_.push_back(kind);
  eval_chunk_.push_back(chunk_id_);
  eval_group_.push_back(group);
  return pos;
}

void StatefulQueryOp::Consume(const Batch& b, Selection sel, const EventKind* kinds,
                              const int64_t* emit_ts, const std::vector<size_t>* breaks) {
  // What a row is emitted at: its window's (expiry, close), else its own time.
  auto emit_time = [&](uint32_t r) { return emit_ts ? emit_ts[r] : b.timestamp(r); };
  size_t m = sel.size;
  if (m == 0) return;
  chunk_ctx_.Reset(b.num_rows());
  chunk_ctx_.now_ms = Now();
  key_cols_.clear();
  for (auto& g : group_exprs_) key_cols_.push_back(&g->Eval(chunk_ctx_, b, sel));
  arg_cols_.clear();
  for (auto& a : agg_args_) {
    if (a) {
      arg_cols_.push_back(&a->Eval(chunk_ctx_, b, sel));
    } else {
      no_arg_.Resize(m);
      arg_cols_.push_back(&no_arg_);
    }
  }
  if (chunk_ctx_.has_errors())
    env_.counters->errors.fetch_add(chunk_ctx_.errors().size(), std::memory_order_relaxed);
  bool collapse = !per_event_ && aggregating_;
  size_t first_row = eval_.num_rows();
  int64_t reset_ts = std::numeric_limits<int64_t>::min();
  // A closing window's rows carry the time it closed: the reset's, or the group's last time.
  size_t segment_begin = 0;
  auto close_segment = [&](size_t segment_end) {
    if (update_late_ && reset_ts != std::numeric_limits<int64_t>::min())
      RetainClosing(b, sel, kinds, reset_ts, segment_begin, segment_end);
    segment_begin = segment_end;
    if (collapse)
      for (size_t r = first_row; r < eval_.num_rows(); ++r)
        eval_.timestamps()[r] = std::max(reset_ts, group_max_ts_[eval_group_[r]]);
    first_row = eval_.num_rows();
    reset_ts = std::numeric_limits<int64_t>::min();
    ++generation_;
    ++chunk_id_;
  };
  ++generation_;
  ++chunk_id_;
  size_t next_break = 0;
  for (size_t k = 0; k < m; ++k) {
    if (breaks) {
      while (next_break < breaks->size() && (*breaks)[next_break] <= k) {
        if ((*breaks)[next_break] == k && k > 0) close_segment(k);
        ++next_break;
      }
    }
    EventKind kind = kinds ? kinds[sel[k]] : EventKind::kCurrent;
    if (kind == EventKind::kReset) {
      reset_ts = std::max(reset_ts, emit_time(sel[k]));
      ResetGroups();
      continue;
    }
    uint32_t g = aggregating_ ? GroupOf(k, b.timestamp(sel[k])) : 0;
    if (aggregating_) {
      if (kind == EventKind::kCurrent) {
        for (size_t a = 0; a < aggs_.size(); ++a) aggs_[a]->Add(g, *arg_cols_[a], k);
        ++group_live_[g];
      } else {
        for (size_t a = 0; a < aggs_.size(); ++a) aggs_[a]->Remove(g, *arg_cols_[a], k);
        --group_live_[g];
      }
    }
    if (!collapse) {
      (void)0;
      AppendEvalRow(b, sel[k], g, kind, emit_time(sel[k]));
      continue;
    }
    // One row per group and kind: the group's first position, with its latest values.
    auto& pos = kind == EventKind::kCurrent ? cur_pos_ : exp_pos_;
    auto& gen = kind == EventKind::kCurrent ? cur_gen_ : exp_gen_;
    // The group's rows of this closing (current and expired) share the latest time among them.
    int64_t ts = emit_time(sel[k]);
    if (gen[g] == generation_) {
      WriteEvalRow(pos[g], b, sel[k], g, ts);
    } else {
      gen[g] = generation_;
      pos[g] = static_cast<uint32_t>(AppendEvalRow(b, sel[k], g, kind, ts));
      group_max_ts_.resize(std::max<size_t>(group_max_ts_.size(), g + 1));
      if (group_gen_.size() <= g) group_gen_.resize(g + 1, 0);
      if (group_gen_[g] != generation_) group_gen_[g] = generation_, group_max_ts_[g] = ts;
    }
    group_max_ts_[g] = std::max(group_max_ts_[g], ts);
  }
  close_segment(m);
}

void StatefulQueryOp::Finish() {
  size_t rows = eval_.num_rows();
  if (rows == 0) return;
  // The events the output clause wants.
  out_rows_.clear();
  for (size_t r = 0; r < rows; ++r) {
    EventKind k = eval_kinds_[r];
    bool want = plan_.events == plan::OutputEvents::kAll ||
                (plan_.events == plan::OutputEvents::kCurrent && k == EventKind::kCurrent) ||
                (plan_.events == plan::OutputEvents::kExpired && k == EventKind::kExpired);
    if (want) out_rows_.push_back(static_cast<uint32_t>(r));
  }
  eval_ctx_.Reset(rows);
  eval_ctx_.now_ms = Now();
  if (having_ && !out_rows_.empty()) {
    const Column& keep =
        having_->Eval(eval_ctx_, eval_, Selection{out_rows_.data(), out_rows_.size()});
    size_t m = 0;
    for (size_t k = 0; k < out_rows_.size(); ++k)
      if (keep.valid()[k] && keep.ints()[k]) out_rows_[m++] = out_rows_[k];
    out_rows_.resize(m);
  }
  if ((!order_exprs_.empty() || plan_.limit >= 0 || plan_.offset > 0) && !out_rows_.empty()) {
    // ORDER BY and LIMIT apply within what one event, or one closing window, produced.
    std::vector<const Column*> keys;
    for (auto& o : order_exprs_)
      keys.push_back(&o->Eval(eval_ctx_, eval_, Selection{out_rows_.data(), out_rows_.size()}));
    std::vector<uint32_t> result;
    size_t start = 0;
    while (start < out_rows_.size()) {
      size_t end = start;
      while (end < out_rows_.size() && eval_chunk_[out_rows_[end]] == eval_chunk_[out_rows_[start]])
        ++end;
      order_scratch_.clear();
      for (size_t k = start; k < end; ++k) order_scratch_.push_back(static_cast<uint32_t>(k));
      if (!keys.empty()) {
        std::stable_sort(order_scratch_.begin(), order_scratch_.end(), [&](uint32_t a, uint32_t b) {
          for (size_t i = 0; i < keys.size(); ++i) {
            int c = CompareCells(*keys[i], a, b);
            if (c != 0) return plan_.order_by[i].descending ? c > 0 : c < 0;
          }
          return false;
        });
      }
      size_t from = std::min<size_t>(order_scratch_.size(), static_cast<size_t>(plan_.offset));
      size_t to = plan_.limit >= 0
                      ? std::min(order_scratch_.size(), from + static_cast<size_t>(plan_.limit))
                      : order_scratch_.size();
      for (size_t k = from; k < to; ++k) result.push_back(out_rows_[order_scratch_[k]]);
      start = end;
    }
    out_rows_ = std::move(result);
  }
  if (out_rows_.empty()) return;
  Selection sel{out_rows_.data(), out_rows_.size()};
  out_.Resize(0);
  out_.Resize(sel.size);
  for (size_t i = 0; i < projections_.size(); ++i) {
    const Column& c = projections_[i]->Eval(eval_ctx_, eval_, sel);
    Column& dst = out_.column(i);
    std::memcpy(dst.valid(), c.valid(), sel.size);
    switch (c.type().physical()) {
      case PhysicalType::kInt64:
        std::memcpy(dst.ints(), c.ints(), sel.size * 8);
        break;
      case PhysicalType::kDouble:
        std::memcpy(dst.doubles(), c.doubles(), sel.size * 8);
        break;
      case PhysicalType::kString:
        std::memcpy(static_cast<void*>(dst.strings()), c.strings(), sel.size * sizeof(StringRef));
        break;
    }
  }
  if (eval_ctx_.has_errors())
    env_.counters->errors.fetch_add(eval_ctx_.errors().size(), std::memory_order_relaxed);
  for (size_t k = 0; k < sel.size; ++k) out_.timestamps()[k] = eval_.timestamp(sel[k]);
  SetChangeKinds(sel);
  if (rate_) {
    rated_.Clear();
    std::vector<uint32_t> groups;
    for (size_t k = 0; k < sel.size; ++k) groups.push_back(eval_group_[sel[k]]);
    rate_->Offer(out_, groups, group_live_, &rated_);
    Emit(&rated_);
    return;
  }
  Emit(&out_);
}

// What each output row does to the query's results (Flink's RowKind): an expired event leaves
// (-D); a per-event aggregate row replaces its group's previous one (+U) after the first (+I); a
// late event's correction replaces its closed window's row (+U); anything else is an insert.
void StatefulQueryOp::SetChangeKinds(Selection sel) {
  out_.ClearKinds();
  const bool replaces = per_event_ && aggregating_;
  const bool plain = plan_.events == plan::OutputEvents::kCurrent && eval_corrections_.empty();
  if (plain && !replaces) return;  // all inserts
  if (emitted_.size() < group_live_.size() || emitted_.empty())
    emitted_.resize(std::max<size_t>(group_live_.size(), 1), 0);
  ChangeKind* kinds = out_.MutableKinds();
  if (plain) {
    // The per-event path of a running aggregate: only +I and +U.
    const uint32_t* groups = eval_group_.data();
    uint8_t* emitted = emitted_.data();
    for (size_t k = 0; k < sel.size; ++k) {
      uint8_t& e = emitted[groups[sel[k]]];
      kinds[k] = e ? ChangeKind::kUpdateAfter : ChangeKind::kInsert;
      e = 1;
    }
    return;
  }
  for (size_t k = 0; k < sel.size; ++k) {
    uint32_t r = sel[k];
    ChangeKind kind = ChangeKind::kInsert;
    if (eval_kinds_[r] == EventKind::kExpired) {
      kind = ChangeKind::kDelete;
    } else if (!eval_corrections_.empty() &&
               std::find(eval_corrections_.begin(), eval_corrections_.end(), r) !=
                   eval_corrections_.end()) {
      kind = ChangeKind::kUpdateAfter;
    } else if (replaces) {
      uint32_t g = eval_group_[r];
      kind = emitted_[g] ? ChangeKind::kUpdateAfter : ChangeKind::kInsert;
      emitted_[g] = 1;
    }
    kinds[k] = kind;
  }
}

void StatefulQueryOp::RetainClosing(const Batch& b, Selection sel, const EventKind* kinds,
                                    int64_t end, size_t from, size_t to) {
  // The current events of the batch that closes at `end` (the chunk holds them after the reset).
  Batch& kept = retained_[end];
  kept.Reset(plan_.input->schema);
  for (size_t k = from; k < to; ++k) {
    uint32_t r = sel[k];
    if (!kinds || kinds[r] != EventKind::kCurrent) continue;
    if (b.timestamp(r) >= end || b.timestamp(r) < end - plan_.window->time_ms) continue;
    kept.AppendRow(b, r);
  }
  DropRetained(Watermark());
}

void StatefulQueryOp::DropRetained(int64_t watermark) {
  while (!retained_.empty() && TimeAdd(retained_.begin()->first, retention_) <= watermark)
    retained_.erase(retained_.begin());
}

bool StatefulQueryOp::UpdateLate(const Batch& in, uint32_t row) {
  DropRetained(Watermark());
  int64_t ts = in.timestamp(row);
  bool merged = false;
  // A tumbling batch, or every hopping window, that held the event's time and is still kept.
  for (auto& [end, batch] : retained_) {
    if (ts >= end || ts < end - plan_.window->time_ms) continue;
    RecomputeGroup(&batch, end, in, row);
    merged = true;
  }
  return merged;
}

void StatefulQueryOp::RecomputeGroup(Batch* retained, int64_t end, const Batch& in, uint32_t row) {
  Batch& batch = *retained;
  size_t at = batch.AppendRow(in, row);
  // The late event's group, computed again over the window from fresh aggregates.
  size_t n = batch.num_rows();
  EvalContext ctx;
  ctx.Reset(n);
  std::vector<const Column*> keys;
  for (auto& e : update_keys_) keys.push_back(&e->Eval(ctx, batch, Selection::All(n)));
  auto same_group = [&](size_t a, size_t b) {
    for (const Column* k : keys) {
      if (k->IsNull(a) != k->IsNull(b)) return false;
      if (k->IsNull(a)) continue;
      switch (k->type().physical()) {
        case PhysicalType::kInt64:
          if (k->ints()[a] != k->ints()[b]) return false;
          break;
        case PhysicalType::kDouble:
          if (k->doubles()[a] != k->doubles()[b]) return false;
          break;
        case PhysicalType::kString:
          if (k->strings()[a].view() != k->strings()[b].view()) return false;
          break;
      }
    }
    return true;
  };
  std::vector<const Column*> args;
  Column none(DataType::Bool());
  none.Resize(n);
  for (auto& e : update_args_) args.push_back(e ? &e->Eval(ctx, batch, Selection::All(n)) : &none);
  std::vector<std::unique_ptr<Aggregator>> fresh;
  for (const plan::AggregatePlan& p : plan_.aggregates) {
    fresh.push_back(MakeAggregator(p, p.arg ? p.arg->type : DataType::Null(), false, false));
    fresh.back()->Grow(1);
  }
  size_t last = at;
  for (size_t r = 0; r < n && aggregating_; ++r) {
    if (!same_group(r, at)) continue;
    for (size_t a = 0; a < fresh.size(); ++a) fresh[a]->Add(0, *args[a], r);
    if (batch.timestamp(r) >= batch.timestamp(last)) last = r;
  }
  // Without aggregates a closing window emits its events: the correction is the late event.
  // The corrected row: the group's latest event with the window's aggregates, at its end.
  size_t out = eval_.AddRow(end);
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const Column& src = batch.column(c);
    if (src.IsNull(last)) continue;
    switch (src.type().physical()) {
      case PhysicalType::kInt64:
        eval_.column(c).SetInt(out, src.ints()[last]);
        break;
      case PhysicalType::kDouble:
        eval_.column(c).SetDouble(out, src.doubles()[last]);
        break;
      case PhysicalType::kString:
        eval_.SetString(out, c, src.strings()[last].view());
        break;
    }
  }
  for (size_t a = 0; a < fresh.size(); ++a)
    fresh[a]->Get(0, &eval_.column(batch.num_columns() + a), out, &eval_.arena());
  eval_kinds_.push_back(EventKind::kCurrent);
  eval_chunk_.push_back(++chunk_id_);
  eval_group_.push_back(0);
  eval_corrections_.push_back(static_cast<uint32_t>(out));
}

void StatefulQueryOp::HandleLate(const Batch& in, uint32_t row) {
  env_.counters->late.fetch_add(1, std::memory_order_relaxed);
  if (update_late_ && UpdateLate(in, row)) return;
  std::string why = "late event: its window " + (plan_.window ? plan_.window->sql : "") +
                    " has closed (event time " + std::to_string(in.timestamp(row)) +
                    ", watermark " + std::to_string(Watermark()) + ")";
  plan::LateData policy = plan_.input->event_time.late_data;
  if (policy == plan::LateData::kDrop) {
    env_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (policy == plan::LateData::kFault && plan_.on_error != plan::ErrorAction::kStream) {
    LogFailure(env_.counters, "query " + plan_.name + ": dropped a " + why +
                                  " ('late.data'='fault' needs @onError(action='stream') on '" +
                                  plan_.input->name + "')");
    env_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The fault stream when the input has one, else a log line.
  std::vector<std::pair<uint32_t, std::string>> failure = {{row, why}};
  if (plan_.on_error == plan::ErrorAction::kStream) {
    RouteFailures(plan_, env_, failure, in, fault_schema_, &faults_);
  } else {
    LogFailure(env_.counters, "query " + plan_.name + ": dropped a " + why);
    env_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace sluice::exec
