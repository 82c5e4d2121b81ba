// WINDOW('expression', condition): the oldest events expire until the condition holds.
#include "exec/window/window_kinds.h"

#include "exec/aggregate/aggregate.h"
#include "exec/expression.h"

namespace sluice::exec {

using plan::WindowPlan;

namespace {

// expression('condition'): after each arrival, the oldest events expire until the condition over
// the window (its aggregates, and the arriving event's attributes) holds, or the window is empty.
class ExpressionWindow final : public Window {
 public:
  ExpressionWindow(const Schema& s, const WindowPlan& p) : store_(s), schema_(s) {
    Schema eval = s;
    for (size_t i = 0; i < p.condition_aggregates.size(); ++i) {
      const plan::AggregatePlan& a = p.condition_aggregates[i];
      DataType arg_type = a.arg ? a.arg->type : DataType::Null();
      aggs_.push_back(MakeAggregator(a, arg_type, /*windowed=*/true, /*fifo=*/true));
      aggs_.back()->Grow(1);
      std::unique_ptr<VecExpr> arg;
      if (a.arg) {
        auto compiled = Compile(*a.arg);
        if (compiled.ok()) arg = std::move(compiled).value();
      }
      args_.push_back(std::move(arg));
      eval.Add("_agg" + std::to_string(i), a.type);
    }
    auto cond = Compile(*p.condition);
    if (cond.ok()) cond_ = std::move(cond).value();
    eval_.Reset(eval);
    one_.Reset(s);
    no_arg_ = Column(DataType::Bool());
    no_arg_.Resize(1);
  }

  // Expired events are emitted before the arrival (as Siddhi inserts them), unless the arrival
  // itself expired: then it is current first, and expired with the others.
  void Add(const Batch& in, size_t row, int64_t ts, EventChunk* out) override {
    uint32_t slot = store_.Add(in, row, ts);
    fifo_.push_back(slot);
    Apply(in, row, true);
    expired_.clear();
    while (!fifo_.empty() && !Holds(in, row)) {
      uint32_t old = fifo_.front();
      fifo_.pop_front();
      scratch_.Reset(schema_);
      store_.AppendTo(old, EventKind::kExpired, ts, &scratch_);
      Apply(scratch_.batch, 0, false);
      expired_.push_back(old);
    }
    bool self_expired = !expired_.empty() && expired_.back() == slot;
    if (self_expired) store_.AppendTo(slot, EventKind::kCurrent, ts, out);
    for (uint32_t old : expired_) {
      store_.AppendTo(old, EventKind::kExpired, ts, out);
      store_.Free(old);
    }
    if (!self_expired) store_.AppendTo(slot, EventKind::kCurrent, ts, out);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("window/expression", 1);
    store_.Snapshot(w);
    WriteSlots(w, fifo_);
    for (const auto& a : aggs_) a->Snapshot(w);
  }
  const RowStore& store() const override { return store_; }
  void Restore(StateReader& r) override {
    if (!r.Section("window/expression", 1)) return;
    store_.Restore(r);
    ReadSlots(r, store_, &fifo_);
    for (auto& a : aggs_) a->Restore(r);
  }

 private:
  // Adds (or removes) the aggregate arguments of row `row` of `b`.
  void Apply(const Batch& b, size_t row, bool add) {
    uint32_t r = static_cast<uint32_t>(row);
    ctx_.Reset(b.num_rows());
    for (size_t i = 0; i < aggs_.size(); ++i) {
      const Column& col = args_[i] ? args_[i]->Eval(ctx_, b, Selection{&r, 1}) : no_arg_;
      if (add) {
        aggs_[i]->Add(0, col, 0);
      } else {
        aggs_[i]->Remove(0, col, 0);
      }
    }
  }
  // The condition, for the arriving event with the window's current aggregates.
  bool Holds(const Batch& in, size_t row) {
    if (!cond_) return true;
    eval_.Clear();
    size_t r = eval_.AddRow(in.timestamp(row));
    for (size_t c = 0; c < in.num_columns(); ++c) eval_.column(c).CopyRow(in.column(c), row, r);
    for (size_t i = 0; i < aggs_.size(); ++i)
      aggs_[i]->Get(0, &eval_.column(in.num_columns() + i), r, &eval_.arena());
    ctx_.Reset(1);
    const Column& v = cond_->Eval(ctx_, eval_, Selection::All(1));
    return v.valid()[0] && v.ints()[0];
  }

  RowStore store_;
  Schema schema_;
  std::deque<uint32_t> fifo_;
  std::vector<std::unique_ptr<Aggregator>> aggs_;
  std::vector<std::unique_ptr<VecExpr>> args_;
  std::unique_ptr<VecExpr> cond_;
  Batch eval_, one_;
  EventChunk scratch_;
  std::vector<uint32_t> expired_;
  Column no_arg_;
  EvalContext ctx_;
};

}  // namespace

std::unique_ptr<Window> MakeExpressionWindow(const WindowPlan& p, const Schema& s) {
  return std::make_unique<ExpressionWindow>(s, p);
}

}  // namespace sluice::exec
