#include "exec/query_op.h"

#include <chrono>
#include <cstring>
#include <optional>

#include "common/log.h"
#include "exec/event_time.h"

namespace sluice::exec {

FilterProjectOp::FilterProjectOp(const plan::QueryPlan& plan, QueryEnv env)
    : plan_(plan), env_(std::move(env)), action_(plan.on_error) {}

// Whether `e` reads the clock (currentTimeMillis()).
static bool UsesClock(const plan::BoundExpr& e) {
  if (e.kind == plan::BoundExpr::Kind::kFunction && plan::ReadsClock(e.fn)) return true;
  for (const auto& a : e.args)
    if (UsesClock(*a)) return true;
  return false;
}

Result<std::unique_ptr<FilterProjectOp>> FilterProjectOp::Make(const plan::QueryPlan& plan,
                                                               QueryEnv env) {
  std::unique_ptr<FilterProjectOp> op(new FilterProjectOp(plan, std::move(env)));
  if (plan.filter) {
    ASSIGN_OR_RETURN(op->filter_, Compile(*plan.filter));
  }
  for (const plan::OutputColumn& c : plan.outputs) {
    ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> e, Compile(*c.expr));
    op->projections_.push_back(std::move(e));
  }
  op->results_.resize(op->projections_.size());
  op->uses_clock_ = (plan.filter && UsesClock(*plan.filter));
  for (const plan::OutputColumn& c : plan.outputs) op->uses_clock_ |= UsesClock(*c.expr);
  op->out_.Reset(plan.target->schema);
  if (plan.on_error == plan::ErrorAction::kStream) {
    op->fault_schema_ = plan.input->schema;
    op->fault_schema_.Add("_error", DataType::String());
    op->faults_.Reset(op->fault_schema_);
  }
  return op;
}

static void CopyRows(const Column& src, const uint32_t* rows, size_t n, Column* dst) {
  dst->Resize(n);
  uint8_t* dv = dst->valid();
  const uint8_t* sv = src.valid();
  switch (src.type().physical()) {
    case PhysicalType::kInt64:
      for (size_t k = 0; k < n; ++k) dst->ints()[k] = src.ints()[rows[k]], dv[k] = sv[rows[k]];
      break;
    case PhysicalType::kDouble:
      for (size_t k = 0; k < n; ++k)
        dst->doubles()[k] = src.doubles()[rows[k]], dv[k] = sv[rows[k]];
      break;
    case PhysicalType::kString:
      for (size_t k = 0; k < n; ++k)
        dst->strings()[k] = src.strings()[rows[k]], dv[k] = sv[rows[k]];
      break;
  }
}

static void CopyAll(const Column& src, size_t n, Column* dst) {
  dst->Resize(n);
  std::memcpy(dst->valid(), src.valid(), n);
  switch (src.type().physical()) {
    case PhysicalType::kInt64:
      std::memcpy(dst->ints(), src.ints(), n * sizeof(int64_t));
      break;
    case PhysicalType::kDouble:
      std::memcpy(dst->doubles(), src.doubles(), n * sizeof(double));
      break;
    case PhysicalType::kString:
      std::memcpy(static_cast<void*>(dst->strings()), src.strings(), n * sizeof(StringRef));
      break;
  }
}

// Measures one Push into a query's latency histogram.
class LatencyScope {
 public:
  explicit LatencyScope(LatencyHistogram* h) : h_(h), start_(std::chrono::steady_clock::now()) {}
  ~LatencyScope() {
    h_->Record(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - start_)
                                         .count()));
  }

 private:
  LatencyHistogram* h_;
  std::chrono::steady_clock::time_point start_;
};

void FilterProjectOp::Push(const Batch& in) {
  size_t n = in.num_rows();
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  // Latency is sampled for small batches: reading the clock twice per event would cost more than
  // the work.
  std::optional<LatencyScope> timing;
  if (n >= 64 || (++pushes_ & 63) == 0) timing.emplace(&env_.counters->latency);
  if (env_.counts_events) env_.counters->events_in.fetch_add(n, std::memory_order_relaxed);
  ctx_.Reset(n);
  if (uses_clock_) ctx_.now_ms = env_.clock->NowMillis();

  Selection sel = Selection::All(n);
  if (filter_) {
    const Column& keep = filter_->Eval(ctx_, in, sel);
    selected_.resize(n);
    size_t m = 0;
    const int64_t* kv = keep.ints();
    const uint8_t* valid = keep.valid();
    for (size_t k = 0; k < n; ++k) {
      selected_[m] = static_cast<uint32_t>(k);
      m += (valid[k] & (kv[k] != 0));  // branch-free: WHERE keeps only TRUE
    }
    // A row whose filter failed is a fault, not a filtered row.
    size_t failed_in_filter = 0;
    if (ctx_.has_errors() && action_ != plan::ErrorAction::kDefault)
      for (const auto& e : ctx_.errors()) failed_in_filter += !valid[e.first];
    if (env_.counts_events)
      env_.counters->filtered.fetch_add(n - m - failed_in_filter, std::memory_order_relaxed);
    if (m < n) sel = Selection{selected_.data(), m};
  }
  if (sel.size > 0)  // nothing to project otherwise (and no node resizes to zero and back)
    for (size_t i = 0; i < projections_.size(); ++i)
      results_[i] = &projections_[i]->Eval(ctx_, in, sel);

  size_t rows = sel.size;
  bool exclude = ctx_.has_errors() && action_ != plan::ErrorAction::kDefault;
  if (ctx_.has_errors()) {
    if (exclude) {
      RouteFailures(plan_, env_, ctx_.errors(), in, fault_schema_, &faults_);
    } else {
      env_.counters->errors.fetch_add(ctx_.errors().size(), std::memory_order_relaxed);
    }
  }
  if (rows == 0) return;
  const size_t ncols = projections_.size();
  if (!exclude) {
    out_.Resize(rows);
    for (size_t i = 0; i < ncols; ++i) CopyAll(*results_[i], rows, &out_.column(i));
    int64_t* ts = out_.timestamps();
    for (size_t k = 0; k < rows; ++k) ts[k] = in.timestamp(sel[k]);
    // A projection of a changelog is a changelog: each row keeps its event's kind (Flink).
    out_.ClearKinds();
    if (in.has_kinds())
      for (size_t k = 0; k < rows; ++k) out_.SetKind(k, in.kind(sel[k]));
  } else {
    kept_.clear();
    for (size_t k = 0; k < rows; ++k)
      if (!ctx_.RowFailed(sel[k])) kept_.push_back(static_cast<uint32_t>(k));
    rows = kept_.size();
    if (rows == 0) return;
    out_.Resize(rows);
    for (size_t i = 0; i < ncols; ++i) CopyRows(*results_[i], kept_.data(), rows, &out_.column(i));
    int64_t* ts = out_.timestamps();
    for (size_t k = 0; k < rows; ++k) ts[k] = in.timestamp(sel[kept_[k]]);
    out_.ClearKinds();
    if (in.has_kinds())
      for (size_t k = 0; k < rows; ++k) out_.SetKind(k, in.kind(sel[kept_[k]]));
  }
  if (plan_.target->event_time.field >= 0 && !RestampFromAttribute(plan_, env_, &out_)) return;
  if (env_.counts_events)
    env_.counters->events_out.fetch_add(out_.num_rows(), std::memory_order_relaxed);
  env_.counters->rows_out.fetch_add(out_.num_rows(), std::memory_order_relaxed);
  env_.target->Push(out_);
}

bool RestampFromAttribute(const plan::QueryPlan& plan, const QueryEnv& env, Batch* rows) {
  const plan::EventTimeConfig& cfg = plan.target->event_time;
  const Column& col = rows->column(cfg.field);
  std::string problem;
  size_t kept = 0;
  for (size_t r = 0; r < rows->num_rows(); ++r) {
    int64_t ts;
    if (!EventTimeOf(cfg, col, r, &ts, &problem)) {
      (env.rows_are_events ? env.counters->dropped : env.counters->errors)
          .fetch_add(1, std::memory_order_relaxed);
      LogFailure(env.counters, "query " + plan.name + ": dropped a row for '" + plan.target->name +
                                   "', whose event time comes from '" +
                                   plan.target->schema.field(cfg.field).name + "': " + problem);
      continue;
    }
    if (kept != r) {
      for (size_t c = 0; c < rows->num_columns(); ++c)
        rows->column(c).CopyRow(rows->column(c), r, kept);
      if (rows->has_kinds()) rows->SetKind(kept, rows->kind(r));
    }
    rows->timestamps()[kept++] = ts;
  }
  rows->Resize(kept);
  return kept > 0;
}

void LogFailure(QueryCounters* counters, const std::string& message) {
  uint64_t n = counters->log_lines.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > 10 && n % 10000 != 0) return;
  // Every such message starts "query <name>: ": the name is the line's query field.
  std::string query;
  if (message.rfind("query ", 0) == 0) query = message.substr(6, message.find(": ") - 6);
  Log(LogLevel::kWarn,
      n <= 10 ? message : message + " (" + std::to_string(n) + " such events so far; see --stats)",
      {{"query", query}, {"occurrence", std::to_string(n)}});
}

void RouteFailures(const plan::QueryPlan& plan, const QueryEnv& env,
                   const std::vector<std::pair<uint32_t, std::string>>& failures, const Batch& in,
                   const Schema& fault_schema, Batch* faults) {
  if (failures.empty()) return;
  if (!env.counts_events) {
    // A joined or matched row is no stream's event: its failure is logged and counted as an error.
    for (const auto& [row, message] : failures)
      LogFailure(env.counters, "query " + plan.name + ": dropped a row (ts " +
                                   std::to_string(in.timestamp(row)) + "): " + message);
    env.counters->errors.fetch_add(failures.size(), std::memory_order_relaxed);
    return;
  }
  switch (plan.on_error) {
    case plan::ErrorAction::kStream: {
      faults->Reset(fault_schema);
      size_t nattr = in.num_columns();
      for (const auto& [row, message] : failures) {
        size_t r = faults->AddRow(in.timestamp(row));
        for (size_t c = 0; c < nattr; ++c) {
          const Column& src = in.column(c);
          Column& dst = faults->column(c);
          if (src.IsNull(row)) continue;
          switch (src.type().physical()) {
            case PhysicalType::kInt64:
              dst.SetInt(r, src.ints()[row]);
              break;
            case PhysicalType::kDouble:
              dst.SetDouble(r, src.doubles()[row]);
              break;
            case PhysicalType::kString:
              faults->SetString(r, c, src.strings()[row].view());
              break;
          }
        }
        faults->SetString(r, nattr, "query " + plan.name + ": " + message);
      }
      env.counters->faulted.fetch_add(failures.size(), std::memory_order_relaxed);
      if (env.fault_target) env.fault_target->Push(*faults);
      break;
    }
    case plan::ErrorAction::kDefault:
    case plan::ErrorAction::kLog:
      for (const auto& [row, message] : failures)
        LogFailure(env.counters, "query " + plan.name + ": dropped an event of '" +
                                     plan.input->name + "' (ts " +
                                     std::to_string(in.timestamp(row)) + "): " + message);
      env.counters->dropped.fetch_add(failures.size(), std::memory_order_relaxed);
      break;
    case plan::ErrorAction::kDrop:
      env.counters->dropped.fetch_add(failures.size(), std::memory_order_relaxed);
      break;
    case plan::ErrorAction::kFail:
      env.counters->dropped.fetch_add(failures.size(), std::memory_order_relaxed);
      if (env.fail)
        env.fail(Status::RuntimeError("query " + plan.name + " failed on an event of '" +
                                      plan.input->name + "' (ts " +
                                      std::to_string(in.timestamp(failures[0].first)) +
                                      "): " + failures[0].second + " (@onError(action='fail'))"));
      break;
  }
}

}  // namespace sluice::exec
