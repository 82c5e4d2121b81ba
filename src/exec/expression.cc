#include "exec/expression.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "common/format.h"
#include "exec/functions.h"

namespace sluice::exec {

using plan::BoundExpr;
using sql::BinaryOp;

void EvalContext::Reset(size_t rows) {
  if (!errors_.empty()) {
    for (const auto& e : errors_)
      if (e.first < failed_.size()) failed_[e.first] = 0;
    errors_.clear();
  }
  if (failed_.size() < rows) failed_.resize(rows, 0);
}

void EvalContext::AddError(uint32_t row, std::string_view message) {
  if (row >= failed_.size()) failed_.resize(row + 1, 0);
  if (failed_[row]) return;
  failed_[row] = 1;
  errors_.emplace_back(row, std::string(message));
}

namespace {

void SetCell(Column& c, size_t i, const Value& v, StringArena& arena) {
  if (v.is_null()) {
    c.SetNull(i);
    return;
  }
  switch (c.type().physical()) {
    case PhysicalType::kInt64:
      c.SetInt(i, v.int_value());
      break;
    case PhysicalType::kDouble:
      c.SetDouble(i, v.double_value());
      break;
    case PhysicalType::kString:
      c.SetString(i, arena.Add(v.string_value()));
      break;
  }
}

// Copies row `from` of `src` to row `to` of `dst` (same physical type).
inline void CopyCell(const Column& src, size_t from, Column& dst, size_t to) {
  if (src.IsNull(from)) {
    dst.SetNull(to);
    return;
  }
  switch (dst.type().physical()) {
    case PhysicalType::kInt64:
      dst.SetInt(to, src.ints()[from]);
      break;
    case PhysicalType::kDouble:
      dst.SetDouble(to, src.doubles()[from]);
      break;
    case PhysicalType::kString:
      dst.SetString(to, src.strings()[from]);
      break;
  }
}

class ConstExpr final : public VecExpr {
 public:
  ConstExpr(DataType type, Value v) : VecExpr(type), value_(std::move(v)) {}
  const Column& Eval(EvalContext&, const Batch&, Selection sel) override {
    if (out_.size() != sel.size) {
      size_t old = out_.size();
      out_.Resize(sel.size);
      if (old == 0 && value_.type() == TypeId::kString) arena_.Reset();
      StringRef s;
      if (value_.type() == TypeId::kString && !value_.is_null())
        s = arena_.Add(value_.string_value());
      for (size_t i = old; i < sel.size; ++i) {
        if (value_.type() == TypeId::kString) {
          out_.SetString(i, s);
        } else {
          SetCell(out_, i, value_, arena_);
        }
      }
    }
    return out_;
  }
  const Value& value() const { return value_; }

 private:
  Value value_;
};

class ColumnExpr final : public VecExpr {
 public:
  ColumnExpr(DataType type, int column) : VecExpr(type), column_(column) {}
  const Column& Eval(EvalContext&, const Batch& in, Selection sel) override {
    const Column& src = in.column(column_);
    if (sel.is_all()) return src;
    Column& out = Output(sel.size);
    const uint8_t* sv = src.valid();
    uint8_t* ov = out.valid();
    switch (type_.physical()) {
      case PhysicalType::kInt64: {
        const int64_t* s = src.ints();
        int64_t* o = out.ints();
        for (size_t k = 0; k < sel.size; ++k) o[k] = s[sel.index[k]], ov[k] = sv[sel.index[k]];
        break;
      }
      case PhysicalType::kDouble: {
        const double* s = src.doubles();
        double* o = out.doubles();
        for (size_t k = 0; k < sel.size; ++k) o[k] = s[sel.index[k]], ov[k] = sv[sel.index[k]];
        break;
      }
      case PhysicalType::kString: {
        const StringRef* s = src.strings();
        StringRef* o = out.strings();
        for (size_t k = 0; k < sel.size; ++k) o[k] = s[sel.index[k]], ov[k] = sv[sel.index[k]];
        break;
      }
    }
    return out;
  }

 private:
  int column_;
};

class CastExpr final : public VecExpr {
 public:
  // `quiet` (TRY_CAST): a value that does not convert is NULL, and the row has no error.
  CastExpr(DataType type, std::unique_ptr<VecExpr> child, bool quiet)
      : VecExpr(type), child_(std::move(child)), quiet_(quiet) {}
  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& a = child_->Eval(ctx, in, sel);
    arena_.Reset();
    Output(sel.size);
    if (quiet_) quiet_ctx_.Reset(in.num_rows());
    CastColumn(a, sel.size, type_, &out_, &arena_, quiet_ ? quiet_ctx_ : ctx, sel);
    return out_;
  }

 private:
  std::unique_ptr<VecExpr> child_;
  bool quiet_;
  EvalContext quiet_ctx_;  // where TRY_CAST's failures go, unread
};

// ---- arithmetic ---------------------------------------------------------------------------------

const char* kDivByZero = "division by zero";
const char* kOverflow = "integer overflow";

class ArithExpr final : public VecExpr {
 public:
  ArithExpr(DataType type, BinaryOp op, std::unique_ptr<VecExpr> a, std::unique_ptr<VecExpr> b)
      : VecExpr(type), op_(op), a_(std::move(a)), b_(std::move(b)) {
    sa_ = a_->type().scale;
    sb_ = b_->type().scale;
  }

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& a = a_->Eval(ctx, in, sel);
    const Column& b = b_->Eval(ctx, in, sel);
    size_t n = sel.size;
    Column& out = Output(n);
    const uint8_t* av = a.valid();
    const uint8_t* bv = b.valid();
    uint8_t* ov = out.valid();
    for (size_t k = 0; k < n; ++k) ov[k] = av[k] & bv[k];
    switch (type_.id) {
      case TypeId::kDouble:
      case TypeId::kFloat:
        EvalDouble(ctx, a, b, out, sel);
        break;
      case TypeId::kDecimal:
        EvalDecimal(ctx, a, b, out, sel);
        break;
      default:
        EvalInt(ctx, a, b, out, sel, type_.id == TypeId::kInt);
        break;
    }
    return out;
  }

 private:
  void Fail(EvalContext& ctx, Column& out, size_t k, Selection sel, const char* msg) {
    out.SetNull(k);
    ctx.AddError(sel[k], msg);
  }

  void EvalInt(EvalContext& ctx, const Column& a, const Column& b, Column& out, Selection sel,
               bool is_int32) {
    const int64_t* x = a.ints();
    const int64_t* y = b.ints();
    int64_t* o = out.ints();
    uint8_t* ov = out.valid();
    size_t n = sel.size;
    switch (op_) {
      case BinaryOp::kAdd:
      case BinaryOp::kSub:
      case BinaryOp::kMul: {
        bool overflow_any = false;
        for (size_t k = 0; k < n; ++k) {
          int64_t r;
          bool of = op_ == BinaryOp::kAdd   ? __builtin_add_overflow(x[k], y[k], &r)
                    : op_ == BinaryOp::kSub ? __builtin_sub_overflow(x[k], y[k], &r)
                                            : __builtin_mul_overflow(x[k], y[k], &r);
          if (is_int32) of |= r < INT32_MIN || r > INT32_MAX;
          o[k] = r;
          overflow_any |= of & ov[k];
        }
        if (overflow_any) {
          for (size_t k = 0; k < n; ++k) {
            if (!ov[k]) continue;
            int64_t r;
            bool of = op_ == BinaryOp::kAdd   ? __builtin_add_overflow(x[k], y[k], &r)
                      : op_ == BinaryOp::kSub ? __builtin_sub_overflow(x[k], y[k], &r)
                                              : __builtin_mul_overflow(x[k], y[k], &r);
            if (is_int32) of |= r < INT32_MIN || r > INT32_MAX;
            if (of) Fail(ctx, out, k, sel, kOverflow);
          }
        }
        break;
      }
      case BinaryOp::kDiv:
      case BinaryOp::kMod:
        for (size_t k = 0; k < n; ++k) {
          if (!ov[k]) continue;
          if (y[k] == 0) {
            Fail(ctx, out, k, sel, kDivByZero);
          } else if (y[k] == -1) {
            if (op_ == BinaryOp::kMod) {
              o[k] = 0;
            } else if (x[k] == INT64_MIN || (is_int32 && x[k] == INT32_MIN)) {
              Fail(ctx, out, k, sel, kOverflow);
            } else {
              o[k] = -x[k];
            }
          } else {
            o[k] = op_ == BinaryOp::kDiv ? x[k] / y[k] : x[k] % y[k];
          }
        }
        break;
      default:
        break;
    }
  }

  void EvalDouble(EvalContext& ctx, const Column& a, const Column& b, Column& out, Selection sel) {
    const double* x = a.doubles();
    const double* y = b.doubles();
    double* o = out.doubles();
    uint8_t* ov = out.valid();
    size_t n = sel.size;
    switch (op_) {
      case BinaryOp::kAdd:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] + y[k];
        break;
      case BinaryOp::kSub:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] - y[k];
        break;
      case BinaryOp::kMul:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] * y[k];
        break;
      case BinaryOp::kDiv:
      case BinaryOp::kMod:
        for (size_t k = 0; k < n; ++k) {
          if (y[k] == 0.0) {
            o[k] = 0;
            if (ov[k]) Fail(ctx, out, k, sel, kDivByZero);
          } else {
            o[k] = op_ == BinaryOp::kDiv ? x[k] / y[k] : std::fmod(x[k], y[k]);
          }
        }
        break;
      default:
        break;
    }
    if (type_.id == TypeId::kFloat)
      for (size_t k = 0; k < n; ++k) o[k] = static_cast<float>(o[k]);
  }

  void EvalDecimal(EvalContext& ctx, const Column& a, const Column& b, Column& out, Selection sel) {
    const int64_t* x = a.ints();
    const int64_t* y = b.ints();
    int64_t* o = out.ints();
    uint8_t* ov = out.valid();
    int rs = type_.scale;
    constexpr __int128 kMax = 999999999999999999LL;
    for (size_t k = 0; k < sel.size; ++k) {
      if (!ov[k]) continue;
      __int128 r = 0;
      switch (op_) {
        case BinaryOp::kAdd:
        case BinaryOp::kSub:
        case BinaryOp::kMod: {
          __int128 xa = static_cast<__int128>(x[k]) * Pow10(rs - sa_);
          __int128 yb = static_cast<__int128>(y[k]) * Pow10(rs - sb_);
          if (op_ == BinaryOp::kMod) {
            if (yb == 0) {
              Fail(ctx, out, k, sel, kDivByZero);
              continue;
            }
            r = xa % yb;
          } else {
            r = op_ == BinaryOp::kAdd ? xa + yb : xa - yb;
          }
          break;
        }
        case BinaryOp::kMul: {
          r = static_cast<__int128>(x[k]) * y[k];  // scale sa+sb
          int drop = sa_ + sb_ - rs;
          if (drop > 0) {
            __int128 p = Pow10(drop);
            __int128 q = r / p, rem = r % p;
            if (rem * 2 >= p) ++q;
            if (rem * 2 <= -p) --q;
            r = q;
          }
          break;
        }
        case BinaryOp::kDiv: {
          if (y[k] == 0) {
            Fail(ctx, out, k, sel, kDivByZero);
            continue;
          }
          // x/10^sa / (y/10^sb) at scale rs = x * 10^(rs - sa + sb) / y, rounded half away.
          int shift = rs - sa_ + sb_;
          __int128 num = static_cast<__int128>(x[k]) * Pow10(shift > 18 ? 18 : shift);
          __int128 q = num / y[k], rem = num % y[k];
          __int128 yy = y[k] < 0 ? -static_cast<__int128>(y[k]) : y[k];
          __int128 rr = rem < 0 ? -rem : rem;
          if (rr * 2 >= yy) q += ((num < 0) != (y[k] < 0)) ? -1 : 1;
          r = q;
          break;
        }
        default:
          break;
      }
      if (r > kMax || r < -kMax) {
        Fail(ctx, out, k, sel, "DECIMAL overflow");
        continue;
      }
      o[k] = static_cast<int64_t>(r);
    }
  }

  BinaryOp op_;
  std::unique_ptr<VecExpr> a_, b_;
  int sa_ = 0, sb_ = 0;
};

class NegExpr final : public VecExpr {
 public:
  NegExpr(DataType type, std::unique_ptr<VecExpr> a) : VecExpr(type), a_(std::move(a)) {}
  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& a = a_->Eval(ctx, in, sel);
    Column& out = Output(sel.size);
    for (size_t k = 0; k < sel.size; ++k) {
      if (a.IsNull(k)) {
        out.SetNull(k);
      } else if (type_.physical() == PhysicalType::kDouble) {
        out.SetDouble(k, -a.doubles()[k]);
      } else if (a.ints()[k] == INT64_MIN ||
                 (type_.id == TypeId::kInt && a.ints()[k] == INT32_MIN)) {
        out.SetNull(k);
        ctx.AddError(sel[k], kOverflow);
      } else {
        out.SetInt(k, -a.ints()[k]);
      }
    }
    return out;
  }

 private:
  std::unique_ptr<VecExpr> a_;
};

// ---- comparison, logic --------------------------------------------------------------------------

template <typename T>
inline bool Compare(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::kEq:
      return a == b;
    case BinaryOp::kNotEq:
      return a != b;
    case BinaryOp::kLt:
      return a < b;
    case BinaryOp::kLe:
      return a <= b;
    case BinaryOp::kGt:
      return a > b;
    case BinaryOp::kGe:
      return a >= b;
    default:
      return false;
  }
}

inline int CompareStrings(StringRef a, StringRef b) {
  int c = std::memcmp(a.data, b.data, std::min(a.size, b.size));
  if (c != 0) return c;
  return a.size < b.size ? -1 : a.size > b.size ? 1 : 0;
}

class CompareExpr final : public VecExpr {
 public:
  CompareExpr(BinaryOp op, std::unique_ptr<VecExpr> a, std::unique_ptr<VecExpr> b)
      : VecExpr(DataType::Bool()), op_(op), a_(std::move(a)), b_(std::move(b)) {}

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& a = a_->Eval(ctx, in, sel);
    const Column& b = b_->Eval(ctx, in, sel);
    size_t n = sel.size;
    Column& out = Output(n);
    int64_t* o = out.ints();
    uint8_t* ov = out.valid();
    const uint8_t* av = a.valid();
    const uint8_t* bv = b.valid();
    for (size_t k = 0; k < n; ++k) ov[k] = av[k] & bv[k];
    switch (a.type().physical()) {
      case PhysicalType::kInt64:
        Loop(a.ints(), b.ints(), o, n);
        break;
      case PhysicalType::kDouble:
        Loop(a.doubles(), b.doubles(), o, n);
        break;
      case PhysicalType::kString: {
        const StringRef* x = a.strings();
        const StringRef* y = b.strings();
        if (op_ == BinaryOp::kEq || op_ == BinaryOp::kNotEq) {
          bool eq = op_ == BinaryOp::kEq;
          for (size_t k = 0; k < n; ++k)
            o[k] =
                (x[k].size == y[k].size && std::memcmp(x[k].data, y[k].data, x[k].size) == 0) == eq;
        } else {
          for (size_t k = 0; k < n; ++k) o[k] = Compare(op_, CompareStrings(x[k], y[k]), 0);
        }
        break;
      }
    }
    return out;
  }

 private:
  template <typename T>
  void Loop(const T* x, const T* y, int64_t* o, size_t n) {
    switch (op_) {
      case BinaryOp::kEq:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] == y[k];
        break;
      case BinaryOp::kNotEq:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] != y[k];
        break;
      case BinaryOp::kLt:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] < y[k];
        break;
      case BinaryOp::kLe:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] <= y[k];
        break;
      case BinaryOp::kGt:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] > y[k];
        break;
      case BinaryOp::kGe:
        for (size_t k = 0; k < n; ++k) o[k] = x[k] >= y[k];
        break;
      default:
        break;
    }
  }

  BinaryOp op_;
  std::unique_ptr<VecExpr> a_, b_;
};

// Dense positions and input rows of a subset of a selection, for lazily evaluated branches.
struct SubSelection {
  std::vector<uint32_t> positions;  // into the parent's dense output
  std::vector<uint32_t> rows;       // into the input batch
  void Clear() {
    positions.clear();
    rows.clear();
  }
  void Add(uint32_t pos, uint32_t row) {
    positions.push_back(pos);
    rows.push_back(row);
  }
  Selection AsSelection() const { return {rows.data(), rows.size()}; }
};

// AND / OR of any number of operands, with three-valued logic. Each operand is evaluated only on
// the rows that the operands before it did not decide, so `x <> 0 AND 10 / x > 1` never divides
// by zero, and a chain of n operands costs one pass per operand, not a tree of depth n.
class LogicExpr final : public VecExpr {
 public:
  LogicExpr(bool is_and, std::vector<std::unique_ptr<VecExpr>> operands)
      : VecExpr(DataType::Bool()), is_and_(is_and), operands_(std::move(operands)) {}

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    size_t n = sel.size;
    Column& out = Output(n);
    const int64_t decided = is_and_ ? 0 : 1;  // FALSE decides AND, TRUE decides OR
    // Rows not decided yet: their dense positions, input rows, and whether a NULL was seen.
    pending_.Clear();
    saw_null_.clear();
    for (size_t k = 0; k < n; ++k) pending_.Add(static_cast<uint32_t>(k), sel[k]);
    saw_null_.assign(n, 0);
    for (size_t i = 0; i < operands_.size() && !pending_.rows.empty(); ++i) {
      Selection osel = pending_.rows.size() == n ? sel : pending_.AsSelection();
      const Column& v = operands_[i]->Eval(ctx, in, osel);
      size_t kept = 0;
      for (size_t j = 0; j < pending_.positions.size(); ++j) {
        uint32_t k = pending_.positions[j];
        if (v.valid()[j] && v.ints()[j] == decided) {
          out.SetInt(k, decided);
          continue;
        }
        saw_null_[k] |= !v.valid()[j];
        pending_.positions[kept] = k;
        pending_.rows[kept] = pending_.rows[j];
        ++kept;
      }
      pending_.positions.resize(kept);
      pending_.rows.resize(kept);
    }
    for (uint32_t k : pending_.positions) {
      if (saw_null_[k]) {
        out.SetNull(k);
      } else {
        out.SetInt(k, 1 - decided);
      }
    }
    return out;
  }

 private:
  bool is_and_;
  std::vector<std::unique_ptr<VecExpr>> operands_;
  SubSelection pending_;
  std::vector<uint8_t> saw_null_;
};

class NotExpr final : public VecExpr {
 public:
  explicit NotExpr(std::unique_ptr<VecExpr> a) : VecExpr(DataType::Bool()), a_(std::move(a)) {}
  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& a = a_->Eval(ctx, in, sel);
    Column& out = Output(sel.size);
    for (size_t k = 0; k < sel.size; ++k) {
      out.ints()[k] = !a.ints()[k];
      out.valid()[k] = a.valid()[k];
    }
    return out;
  }

 private:
  std::unique_ptr<VecExpr> a_;
};

class IsNullExpr final : public VecExpr {
 public:
  IsNullExpr(bool negated, std::unique_ptr<VecExpr> a)
      : VecExpr(DataType::Bool()), negated_(negated), a_(std::move(a)) {}
  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& a = a_->Eval(ctx, in, sel);
    Column& out = Output(sel.size);
    for (size_t k = 0; k < sel.size; ++k) out.SetInt(k, (a.valid()[k] != 0) == negated_);
    return out;
  }

 private:
  bool negated_;
  std::unique_ptr<VecExpr> a_;
};

// CASE WHEN c1 THEN r1 ... ELSE e END: each branch runs only on the rows that reach it.
class CaseExpr final : public VecExpr {
 public:
  CaseExpr(DataType type, std::vector<std::unique_ptr<VecExpr>> conds,
           std::vector<std::unique_ptr<VecExpr>> results, std::unique_ptr<VecExpr> otherwise)
      : VecExpr(type),
        conds_(std::move(conds)),
        results_(std::move(results)),
        else_(std::move(otherwise)) {}

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    size_t n = sel.size;
    Column& out = Output(n);
    remaining_.Clear();
    for (size_t k = 0; k < n; ++k) remaining_.Add(static_cast<uint32_t>(k), sel[k]);
    for (size_t w = 0; w < conds_.size() && !remaining_.rows.empty(); ++w) {
      Selection rs = remaining_.rows.size() == n && w == 0 ? sel : remaining_.AsSelection();
      const Column& c = conds_[w]->Eval(ctx, in, rs);
      taken_.Clear();
      next_.Clear();
      for (size_t j = 0; j < remaining_.rows.size(); ++j) {
        if (c.valid()[j] && c.ints()[j]) {
          taken_.Add(remaining_.positions[j], remaining_.rows[j]);
        } else {
          next_.Add(remaining_.positions[j], remaining_.rows[j]);
        }
      }
      if (!taken_.rows.empty()) {
        const Column& r = results_[w]->Eval(ctx, in, taken_.AsSelection());
        for (size_t j = 0; j < taken_.positions.size(); ++j)
          CopyCell(r, j, out, taken_.positions[j]);
      }
      std::swap(remaining_, next_);
    }
    if (!remaining_.rows.empty()) {
      if (else_) {
        const Column& r = else_->Eval(ctx, in, remaining_.AsSelection());
        for (size_t j = 0; j < remaining_.positions.size(); ++j)
          CopyCell(r, j, out, remaining_.positions[j]);
      } else {
        for (uint32_t p : remaining_.positions) out.SetNull(p);
      }
    }
    return out;
  }

 private:
  std::vector<std::unique_ptr<VecExpr>> conds_, results_;
  std::unique_ptr<VecExpr> else_;
  SubSelection remaining_, taken_, next_;
};

// x IN (list): a hash set when the list is constant, else a comparison per item.
class InExpr final : public VecExpr {
 public:
  InExpr(bool negated, std::unique_ptr<VecExpr> x, std::vector<std::unique_ptr<VecExpr>> items)
      : VecExpr(DataType::Bool()), negated_(negated), x_(std::move(x)), items_(std::move(items)) {
    all_const_ = true;
    for (auto& i : items_) all_const_ &= dynamic_cast<ConstExpr*>(i.get()) != nullptr;
    if (all_const_) {
      for (auto& i : items_) {
        const Value& v = static_cast<ConstExpr*>(i.get())->value();
        if (v.is_null()) {
          list_has_null_ = true;
        } else if (x_->type().physical() == PhysicalType::kString) {
          strings_.insert(v.string_value());
        } else if (x_->type().physical() == PhysicalType::kDouble) {
          doubles_.insert(v.double_value());
        } else {
          ints_.insert(v.int_value());
        }
      }
    }
  }

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& x = x_->Eval(ctx, in, sel);
    size_t n = sel.size;
    Column& out = Output(n);
    if (all_const_) {
      for (size_t k = 0; k < n; ++k) {
        if (x.IsNull(k)) {
          out.SetNull(k);
          continue;
        }
        bool found;
        switch (x.type().physical()) {
          case PhysicalType::kInt64:
            found = ints_.contains(x.ints()[k]);
            break;
          case PhysicalType::kDouble:
            found = doubles_.contains(x.doubles()[k]);
            break;
          default:
            found = strings_.contains(absl::string_view(x.strings()[k].data, x.strings()[k].size));
            break;
        }
        if (found) {
          out.SetInt(k, !negated_);
        } else if (list_has_null_) {
          out.SetNull(k);
        } else {
          out.SetInt(k, negated_);
        }
      }
      return out;
    }
    // found: 1, unknown (NULL met): 2, not found: 0
    state_.assign(n, 0);
    for (auto& item : items_) {
      const Column& y = item->Eval(ctx, in, sel);
      for (size_t k = 0; k < n; ++k) {
        if (state_[k] == 1) continue;
        if (x.IsNull(k) || y.IsNull(k)) {
          state_[k] = 2;
          continue;
        }
        bool eq;
        switch (x.type().physical()) {
          case PhysicalType::kInt64:
            eq = x.ints()[k] == y.ints()[k];
            break;
          case PhysicalType::kDouble:
            eq = x.doubles()[k] == y.doubles()[k];
            break;
          default:
            eq = x.strings()[k].view() == y.strings()[k].view();
            break;
        }
        if (eq) state_[k] = 1;
      }
    }
    for (size_t k = 0; k < n; ++k) {
      if (state_[k] == 2) {
        out.SetNull(k);
      } else {
        out.SetInt(k, (state_[k] == 1) != negated_);
      }
    }
    return out;
  }

 private:
  bool negated_;
  std::unique_ptr<VecExpr> x_;
  std::vector<std::unique_ptr<VecExpr>> items_;
  bool all_const_ = false;
  bool list_has_null_ = false;
  absl::flat_hash_set<int64_t> ints_;
  absl::flat_hash_set<double> doubles_;
  absl::flat_hash_set<std::string> strings_;
  std::vector<uint8_t> state_;
};

// LIKE: a constant pattern is classified once (exact, prefix, suffix, contains) so that the
// common cases are one memcmp or memmem per row.
class LikeExpr final : public VecExpr {
 public:
  LikeExpr(bool negated, std::unique_ptr<VecExpr> x, std::unique_ptr<VecExpr> pattern)
      : VecExpr(DataType::Bool()), negated_(negated), x_(std::move(x)), p_(std::move(pattern)) {
    if (auto* c = dynamic_cast<ConstExpr*>(p_.get())) {
      if (c->value().is_null()) {
        mode_ = Mode::kNull;
      } else {
        Classify(c->value().string_value());
      }
    }
  }

  const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) override {
    const Column& x = x_->Eval(ctx, in, sel);
    size_t n = sel.size;
    Column& out = Output(n);
    const Column* p = mode_ == Mode::kDynamic ? &p_->Eval(ctx, in, sel) : nullptr;
    for (size_t k = 0; k < n; ++k) {
      if (x.IsNull(k) || mode_ == Mode::kNull || (p && p->IsNull(k))) {
        out.SetNull(k);
        continue;
      }
      std::string_view s = x.strings()[k].view();
      bool m;
      switch (mode_) {
        case Mode::kExact:
          m = s == lit_;
          break;
        case Mode::kPrefix:
          m = s.size() >= lit_.size() && s.compare(0, lit_.size(), lit_) == 0;
          break;
        case Mode::kSuffix:
          m = s.size() >= lit_.size() && s.compare(s.size() - lit_.size(), lit_.size(), lit_) == 0;
          break;
        case Mode::kContains:
          m = s.find(lit_) != std::string_view::npos;
          break;
        case Mode::kAny:
          m = true;
          break;
        case Mode::kGeneral:
          m = LikeMatch(s, pattern_);
          break;
        default:
          m = LikeMatch(s, p->strings()[k].view());
          break;
      }
      out.SetInt(k, m != negated_);
    }
    return out;
  }

 private:
  enum class Mode { kDynamic, kNull, kExact, kPrefix, kSuffix, kContains, kAny, kGeneral };

  void Classify(const std::string& p) {
    pattern_ = p;
    bool special_inside = false;
    for (size_t i = 0; i < p.size(); ++i) {
      char c = p[i];
      if (c == '\\' || c == '_') special_inside = true;
      if (c == '%' && i != 0 && i != p.size() - 1) special_inside = true;
    }
    if (special_inside) {
      mode_ = Mode::kGeneral;
      return;
    }
    bool lead = !p.empty() && p.front() == '%';
    bool trail = p.size() > (lead ? 1u : 0u) && p.back() == '%';
    lit_ = p.substr(lead ? 1 : 0, p.size() - (lead ? 1 : 0) - (trail ? 1 : 0));
    if (lead && trail) {
      mode_ = lit_.empty() ? Mode::kAny : Mode::kContains;
    } else if (lead) {
      mode_ = lit_.empty() ? Mode::kAny : Mode::kSuffix;
    } else if (trail) {
      mode_ = Mode::kPrefix;
    } else {
      mode_ = Mode::kExact;
    }
  }

  bool negated_;
  std::unique_ptr<VecExpr> x_, p_;
  Mode mode_ = Mode::kDynamic;
  std::string lit_, pattern_;
};

Result<std::unique_ptr<VecExpr>> CompileNode(const BoundExpr& e);

Result<std::unique_ptr<VecExpr>> CompileConstant(const BoundExpr& e) {
  ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> node, CompileNode(e));
  if (dynamic_cast<ConstExpr*>(node.get())) return node;
  Batch one;
  one.Resize(1);
  EvalContext ctx;
  ctx.Reset(1);
  const Column& c = node->Eval(ctx, one, Selection::All(1));
  Value v = ctx.has_errors() ? Value::Null() : c.GetValue(0);
  return std::unique_ptr<VecExpr>(std::make_unique<ConstExpr>(e.type, std::move(v)));
}

Result<std::unique_ptr<VecExpr>> CompileChild(const BoundExpr& e) {
  if (e.IsConstant()) return CompileConstant(e);
  return CompileNode(e);
}

Result<std::unique_ptr<VecExpr>> CompileNode(const BoundExpr& e) {
  std::vector<std::unique_ptr<VecExpr>> args;
  if (e.kind != BoundExpr::Kind::kAggregate) {
    for (const auto& a : e.args) {
      ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> c, CompileChild(*a));
      args.push_back(std::move(c));
    }
  }
  using K = BoundExpr::Kind;
  switch (e.kind) {
    case K::kLiteral: {
      Value v = e.literal;
      if (e.type.id == TypeId::kFloat && !v.is_null())
        v = Value::Float(static_cast<float>(v.double_value()));
      return std::unique_ptr<VecExpr>(std::make_unique<ConstExpr>(e.type, std::move(v)));
    }
    case K::kColumn:
      return std::unique_ptr<VecExpr>(std::make_unique<ColumnExpr>(e.type, e.column));
    case K::kCast:
      return std::unique_ptr<VecExpr>(
          std::make_unique<CastExpr>(e.type, std::move(args[0]), e.try_cast));
    case K::kNeg:
      return std::unique_ptr<VecExpr>(std::make_unique<NegExpr>(e.type, std::move(args[0])));
    case K::kNot:
      return std::unique_ptr<VecExpr>(std::make_unique<NotExpr>(std::move(args[0])));
    case K::kArith:
      return std::unique_ptr<VecExpr>(
          std::make_unique<ArithExpr>(e.type, e.op, std::move(args[0]), std::move(args[1])));
    case K::kCompare:
      return std::unique_ptr<VecExpr>(
          std::make_unique<CompareExpr>(e.op, std::move(args[0]), std::move(args[1])));
    case K::kAnd:
    case K::kOr:
      return std::unique_ptr<VecExpr>(
          std::make_unique<LogicExpr>(e.kind == K::kAnd, std::move(args)));
    case K::kIsNull:
      return std::unique_ptr<VecExpr>(std::make_unique<IsNullExpr>(e.negated, std::move(args[0])));
    case K::kLike:
      return std::unique_ptr<VecExpr>(
          std::make_unique<LikeExpr>(e.negated, std::move(args[0]), std::move(args[1])));
    case K::kIn: {
      std::unique_ptr<VecExpr> x = std::move(args[0]);
      args.erase(args.begin());
      return std::unique_ptr<VecExpr>(
          std::make_unique<InExpr>(e.negated, std::move(x), std::move(args)));
    }
    case K::kCase: {
      std::vector<std::unique_ptr<VecExpr>> conds, results;
      std::unique_ptr<VecExpr> otherwise;
      size_t end = args.size() - (e.has_else ? 1 : 0);
      for (size_t i = 0; i + 1 < end + 1 && i < end; i += 2) {
        conds.push_back(std::move(args[i]));
        results.push_back(std::move(args[i + 1]));
      }
      if (e.has_else) otherwise = std::move(args.back());
      return std::unique_ptr<VecExpr>(std::make_unique<CaseExpr>(
          e.type, std::move(conds), std::move(results), std::move(otherwise)));
    }
    case K::kFunction:
      return MakeFunctionExpr(e.fn, e.type, std::move(args));
    case K::kAggregate:
      return Status::NotSupported("aggregate " + e.text + " outside an aggregation");
  }
  return Status::Internal("unknown expression kind");
}

}  // namespace

Result<std::unique_ptr<VecExpr>> Compile(const BoundExpr& expr) { return CompileChild(expr); }

// ---- casts --------------------------------------------------------------------------------------

void CastColumn(const Column& in, size_t n, DataType to, Column* out, StringArena* arena,
                EvalContext& ctx, Selection sel) {
  DataType from = in.type();
  out->Resize(n);
  std::string buf;
  auto fail = [&](size_t k, const std::string& what) {
    out->SetNull(k);
    ctx.AddError(sel[k], "cannot convert " + what + " to " + to.ToString());
  };
  for (size_t k = 0; k < n; ++k) {
    if (in.IsNull(k) || from.id == TypeId::kNull) {
      out->SetNull(k);
      continue;
    }
    if (to.id == TypeId::kString) {
      buf.clear();
      switch (from.id) {
        case TypeId::kString:
          out->SetString(k, in.strings()[k]);
          continue;
        case TypeId::kBool:
          buf = in.ints()[k] ? "true" : "false";
          break;
        case TypeId::kInt:
        case TypeId::kBigint:
          AppendInt(&buf, in.ints()[k]);
          break;
        case TypeId::kTimestamp:
          AppendIso8601(&buf, in.ints()[k]);
          break;
        case TypeId::kDecimal:
          AppendDecimal(&buf, in.ints()[k], from.scale);
          break;
        case TypeId::kFloat:
        case TypeId::kDouble:
          if (!std::isfinite(in.doubles()[k])) {
            buf = std::isnan(in.doubles()[k]) ? "NaN"
                  : in.doubles()[k] > 0       ? "Infinity"
                                              : "-Infinity";
          } else {
            AppendDouble(&buf, in.doubles()[k], from.id == TypeId::kFloat);
          }
          break;
        default:
          break;
      }
      out->SetString(k, arena->Add(buf));
      continue;
    }
    if (from.id == TypeId::kString) {
      std::string_view s = in.strings()[k].view();
      switch (to.id) {
        case TypeId::kBool: {
          bool b;
          if (ParseBool(s, &b)) {
            out->SetInt(k, b);
          } else {
            fail(k, "'" + std::string(s) + "'");
          }
          break;
        }
        case TypeId::kInt:
        case TypeId::kBigint:
        case TypeId::kTimestamp: {
          int64_t v;
          if (ParseInt64(s, &v) || (to.id == TypeId::kTimestamp && ParseIso8601(s, &v))) {
            if (to.id == TypeId::kInt && (v < INT32_MIN || v > INT32_MAX)) {
              fail(k, "'" + std::string(s) + "' (out of INT range)");
            } else {
              out->SetInt(k, v);
            }
          } else {
            fail(k, "'" + std::string(s) + "'");
          }
          break;
        }
        case TypeId::kFloat:
        case TypeId::kDouble: {
          double d;
          if (ParseDouble(s, &d)) {
            out->SetDouble(k, to.id == TypeId::kFloat ? static_cast<float>(d) : d);
          } else {
            fail(k, "'" + std::string(s) + "'");
          }
          break;
        }
        case TypeId::kDecimal: {
          int64_t v;
          if (ParseDecimal(s, to.scale, &v)) {
            out->SetInt(k, v);
          } else {
            fail(k, "'" + std::string(s) + "'");
          }
          break;
        }
        default:
          fail(k, "'" + std::string(s) + "'");
      }
      continue;
    }
    // Numeric, BOOL and TIMESTAMP sources.
    bool src_double = from.physical() == PhysicalType::kDouble;
    double d = src_double ? in.doubles()[k] : 0;
    int64_t i = src_double ? 0 : in.ints()[k];
    switch (to.id) {
      case TypeId::kBool:
        out->SetInt(k, src_double ? d != 0 : i != 0);
        break;
      case TypeId::kInt:
      case TypeId::kBigint:
      case TypeId::kTimestamp: {
        int64_t v;
        if (src_double) {
          if (!std::isfinite(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18) {
            buf.clear();
            AppendDouble(&buf, d, false);
            fail(k, buf);
            continue;
          }
          v = static_cast<int64_t>(d);  // toward zero, as Java's (long) cast in Siddhi
        } else if (from.id == TypeId::kDecimal) {
          v = i / Pow10(from.scale);
        } else {
          v = i;
        }
        if (to.id == TypeId::kInt && (v < INT32_MIN || v > INT32_MAX)) {
          fail(k, std::to_string(v) + " (out of INT range)");
          continue;
        }
        out->SetInt(k, v);
        break;
      }
      case TypeId::kFloat:
      case TypeId::kDouble: {
        double v = src_double ? d
                   : from.id == TypeId::kDecimal
                       ? static_cast<double>(i) / static_cast<double>(Pow10(from.scale))
                       : static_cast<double>(i);
        out->SetDouble(k, to.id == TypeId::kFloat ? static_cast<float>(v) : v);
        break;
      }
      case TypeId::kDecimal: {
        int64_t v;
        bool ok;
        if (src_double) {
          buf.clear();
          AppendDouble(&buf, d, from.id == TypeId::kFloat);
          ok = std::isfinite(d) && ParseDecimal(buf, to.scale, &v);
        } else {
          ok = RescaleDecimal(i, from.id == TypeId::kDecimal ? from.scale : 0, to.scale, &v) &&
               v <= 999999999999999999LL && v >= -999999999999999999LL;
        }
        if (ok) {
          out->SetInt(k, v);
        } else {
          fail(k, "a value out of range");
        }
        break;
      }
      default:
        fail(k, "a value");
    }
  }
}

bool LikeMatch(std::string_view s, std::string_view p) {
  // Iterative matching with backtracking to the last '%': O(|s| * |p|) worst case, no regex.
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char c = p[pi];
      if (c == '%') {
        star_p = ++pi;
        star_s = si;
        continue;
      }
      if (c == '\\' && pi + 1 < p.size()) {
        if (s[si] == p[pi + 1]) {
          ++si, pi += 2;
          continue;
        }
      } else if (c == '_' || c == s[si]) {
        ++si, ++pi;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

const Column& EvalCondition(VecExpr& cond, EvalContext& ctx, int64_t now_ms, const Batch& batch,
                            Selection sel, std::atomic<uint64_t>* errors) {
  ctx.Reset(batch.num_rows());
  ctx.now_ms = now_ms;
  const Column& out = cond.Eval(ctx, batch, sel);
  if (ctx.has_errors()) errors->fetch_add(ctx.errors().size(), std::memory_order_relaxed);
  return out;
}

}  // namespace sluice::exec
