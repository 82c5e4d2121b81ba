// Compiled expressions: a bound expression becomes, once per query, a tree of vectorised
// evaluators that each run one tight loop over a batch. No name lookup, no per-event dispatch and,
// at steady state, no allocation: every node owns its output column and reuses it.
//
// Contract:
//  1. Eval(ctx, batch, sel) evaluates the rows `sel` of `batch` (indices into it, or all rows) and
//     returns a column of sel.size() rows, dense in selection order.
//  2. The returned column is owned by the node (or is the batch's own column) and stays valid
//     until the node's next Eval; strings in it live in the node's arena or the batch's.
//  3. A row whose value cannot be computed (division by zero, a failed cast, an overflow) is NULL
//     and is recorded in ctx with a message; the query decides what the error means.
//  4. A node is used by one thread at a time; a query compiles one tree per worker.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plan/bound_expr.h"
#include "sluice/batch.h"
#include "sluice/status.h"

namespace sluice::exec {

// Rows of a batch: explicit indices, or all rows 0..size-1 when `index` is null.
struct Selection {
  const uint32_t* index = nullptr;
  size_t size = 0;

  static Selection All(size_t n) { return {nullptr, n}; }
  uint32_t operator[](size_t k) const { return index ? index[k] : static_cast<uint32_t>(k); }
  bool is_all() const { return index == nullptr; }
};

// What an evaluation needs besides its input: the clock, and where row errors go.
class EvalContext {
 public:
  int64_t now_ms = 0;  // currentTimeMillis(): event time in playback, wall time live

  // Clears the errors; `rows` is the row count of the batch about to be evaluated.
  void Reset(size_t rows);
  // Records that input row `row` failed; only its first error is kept.
  void AddError(uint32_t row, std::string_view message);
  bool has_errors() const { return !errors_.empty(); }
  bool RowFailed(uint32_t row) const { return row < failed_.size() && failed_[row]; }
  const std::vector<std::pair<uint32_t, std::string>>& errors() const { return errors_; }

 private:
  std::vector<uint8_t> failed_;
  std::vector<std::pair<uint32_t, std::string>> errors_;
};

class VecExpr {
 public:
  explicit VecExpr(DataType type) : type_(type), out_(type) {}
  virtual ~VecExpr() = default;
  VecExpr(const VecExpr&) = delete;
  VecExpr& operator=(const VecExpr&) = delete;

  DataType type() const { return type_; }
  virtual const Column& Eval(EvalContext& ctx, const Batch& in, Selection sel) = 0;

 protected:
  Column& Output(size_t n) {
    out_.Resize(n);
    return out_;
  }

  DataType type_;
  Column out_;
  StringArena arena_;  // string results
};

// Evaluates a condition over rows `sel` of `batch` at time `now_ms`: the column it returns holds
// the outcome per selected row, in selection order (IsTrue says which pass). Rows that failed
// (and so are not TRUE) are counted into `errors`.
const Column& EvalCondition(VecExpr& cond, EvalContext& ctx, int64_t now_ms, const Batch& batch,
                            Selection sel, std::atomic<uint64_t>* errors);
inline bool IsTrue(const Column& c, size_t k) { return c.valid()[k] && c.ints()[k] != 0; }

// Compiles `expr`. Constant subtrees are evaluated once here.
Result<std::unique_ptr<VecExpr>> Compile(const plan::BoundExpr& expr);

// Converts `in` (n dense rows, row ids from `sel` for errors) to `to`, into `out`.
void CastColumn(const Column& in, size_t n, DataType to, Column* out, StringArena* arena,
                EvalContext& ctx, Selection sel);

// SQL LIKE with % and _ (backslash escapes), without a regex engine.
bool LikeMatch(std::string_view text, std::string_view pattern);

}  // namespace sluice::exec
