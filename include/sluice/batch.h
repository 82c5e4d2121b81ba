// A batch of events in columns: the unit that crosses every operator, junction and queue.
// Columns are typed arrays with a validity byte per row (no per-field variant dispatch). Strings
// are StringRefs into a StringArena; a batch's refs stay valid while the batches that produced
// them are alive, so anything that keeps rows past a Push (windows, queues) copies the strings.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/types.h"

namespace sluice {

struct StringRef {
  const char* data = nullptr;
  uint32_t size = 0;
  std::string_view view() const { return {data, size}; }
};

// Bump allocator for string bytes. Reset() keeps the first chunk, so a batch that is reused
// allocates nothing at steady state. Not thread-safe.
class StringArena {
 public:
  StringArena() = default;
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;
  StringArena(StringArena&& o) noexcept { *this = std::move(o); }
  StringArena& operator=(StringArena&& o) noexcept {
    chunks_ = std::move(o.chunks_);
    cur_ = std::exchange(o.cur_, nullptr);
    end_ = std::exchange(o.end_, nullptr);
    o.chunks_.clear();
    return *this;
  }

  StringRef Add(std::string_view s) {
    size_t n = s.size();
    if (n == 0) return StringRef{"", 0};
    char* p = Allocate(n);
    CopyBytes(p, s.data(), n);
    return StringRef{p, static_cast<uint32_t>(n)};
  }
  // Space for `n` bytes, to be filled by the caller. Inline: a bump of a pointer, per string.
  char* Allocate(size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) return AllocateChunk(n);
    char* p = cur_;
    cur_ += n;
    return p;
  }
  void Reset();
  size_t bytes_used() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t used = 0;  // of the chunks before the last; the last one's is cur_ - data
  };
  char* AllocateChunk(size_t n);
  // Fixed-size moves for the short strings most keys are (a variable memcpy is a call).
  static void CopyBytes(char* d, const char* s, size_t n) {
    if (n > 16) {
      std::memcpy(d, s, n);
    } else if (n >= 8) {
      uint64_t a, b;
      std::memcpy(&a, s, 8);
      std::memcpy(&b, s + n - 8, 8);
      std::memcpy(d, &a, 8);
      std::memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      std::memcpy(d, &a, 4);
      std::memcpy(d + n - 4, &b, 4);
    } else {
      d[0] = s[0];
      if (n > 1) d[1] = s[1];
      if (n > 2) d[2] = s[2];
    }
  }
  std::vector<Chunk> chunks_;
  char* cur_ = nullptr;  // the free space of the last chunk: [cur_, end_)
  char* end_ = nullptr;
};

class Column {
 public:
  explicit Column(DataType type = DataType::Null()) : type_(type) {}

  DataType type() const { return type_; }
  void set_type(DataType type) { type_ = type; }
  size_t size() const { return valid_.size(); }
  // Sets the row count; new rows are NULL. Capacity is kept, so reuse does not allocate. (Inline:
  // the per-event paths resize their batches for every event.)
  void Resize(size_t n) {
    if (n == valid_.size()) return;  // the common case for a reused batch
    valid_.resize(n);                // new rows are NULL (value-initialised)
    switch (type_.physical()) {
      case PhysicalType::kInt64:
        ints_.resize(n);
        break;
      case PhysicalType::kDouble:
        doubles_.resize(n);
        break;
      case PhysicalType::kString:
        strings_.resize(n);
        break;
    }
  }
  void Clear() { Resize(0); }
  void Reserve(size_t n);
  // Appends one NULL row (amortized O(1): the fast way to grow a batch row by row).
  void AppendNull() {
    valid_.push_back(0);
    switch (type_.physical()) {
      case PhysicalType::kInt64:
        ints_.push_back(0);
        break;
      case PhysicalType::kDouble:
        doubles_.push_back(0);
        break;
      case PhysicalType::kString:
        strings_.emplace_back();
        break;
    }
  }

  int64_t* ints() { return ints_.data(); }
  const int64_t* ints() const { return ints_.data(); }
  double* doubles() { return doubles_.data(); }
  const double* doubles() const { return doubles_.data(); }
  StringRef* strings() { return strings_.data(); }
  const StringRef* strings() const { return strings_.data(); }
  uint8_t* valid() { return valid_.data(); }
  const uint8_t* valid() const { return valid_.data(); }

  bool IsNull(size_t i) const { return valid_[i] == 0; }
  void SetNull(size_t i) { valid_[i] = 0; }
  void SetInt(size_t i, int64_t v) {
    ints_[i] = v;
    valid_[i] = 1;
  }
  void SetDouble(size_t i, double v) {
    doubles_[i] = v;
    valid_[i] = 1;
  }
  void SetString(size_t i, StringRef v) {
    strings_[i] = v;
    valid_[i] = 1;
  }

  // Copies row `from` of `src` (same physical type) into row `to`; strings are shared, not copied.
  void CopyRow(const Column& src, size_t from, size_t to) {
    valid_[to] = src.valid_[from];
    switch (type_.physical()) {
      case PhysicalType::kInt64:
        ints_[to] = src.ints_[from];
        break;
      case PhysicalType::kDouble:
        doubles_[to] = src.doubles_[from];
        break;
      case PhysicalType::kString:
        strings_[to] = src.strings_[from];
        break;
    }
  }

  // Row i as a Value (allocates for strings; for tests and the slow paths).
  Value GetValue(size_t i) const;

 private:
  DataType type_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<StringRef> strings_;
  std::vector<uint8_t> valid_;
};

// How a row changes its stream's results, as Flink's RowKind: an insert; the row an update
// replaces (update-before) and the row it puts in its place (update-after); a delete.
enum class ChangeKind : uint8_t { kInsert, kUpdateBefore, kUpdateAfter, kDelete };
// "+I", "-U", "+U", "-D".
const char* ChangeKindName(ChangeKind kind);

class Batch {
 public:
  Batch() = default;
  explicit Batch(const Schema& schema);
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  Batch(Batch&&) = default;
  Batch& operator=(Batch&&) = default;

  // Makes this an empty batch of `schema`'s types, keeping allocated capacity where possible.
  void Reset(const Schema& schema);
  size_t num_rows() const { return timestamps_.size(); }
  size_t num_columns() const { return columns_.size(); }
  Column& column(size_t i) { return columns_[i]; }
  const Column& column(size_t i) const { return columns_[i]; }
  int64_t* timestamps() { return timestamps_.data(); }
  const int64_t* timestamps() const { return timestamps_.data(); }
  int64_t timestamp(size_t row) const { return timestamps_[row]; }
  StringArena& arena() { return arena_; }
  const StringArena& arena() const { return arena_; }

  // Each row's change kind. Every row is an insert until one is set otherwise: kinds are kept
  // only up to the last row that is not an insert, so a batch of inserts keeps none.
  bool has_kinds() const { return kind_rows_ > 0; }
  ChangeKind kind(size_t row) const { return row < kind_rows_ ? kinds_[row] : ChangeKind::kInsert; }
  void SetKind(size_t row, ChangeKind kind) {
    if (row >= kind_rows_) {
      if (kind == ChangeKind::kInsert) return;
      if (kinds_.size() <= row) kinds_.resize(row + 1);
      std::fill(kinds_.begin() + kind_rows_, kinds_.begin() + row, ChangeKind::kInsert);
      kind_rows_ = row + 1;
    }
    kinds_[row] = kind;
  }
  // Makes every row an insert again.
  void ClearKinds() { kind_rows_ = 0; }
  // The kinds of every row, to be written (their values are unspecified until then).
  ChangeKind* MutableKinds() {
    if (kinds_.size() < num_rows()) kinds_.resize(num_rows());
    kind_rows_ = num_rows();
    return kinds_.data();
  }

  // Sets the row count of every column and of the timestamps; new rows are NULL.
  void Resize(size_t n);
  void Clear();
  // Appends one row of timestamp `ts` whose fields are all NULL and returns its index.
  size_t AddRow(int64_t ts);
  // Appends a copy of row `row` of `src` (same schema), strings copied into this batch's arena, and
  // returns its index.
  size_t AppendRow(const Batch& src, size_t row);
  // Appends copies of rows [from, to) of `src` (same schema), strings into this batch's arena.
  void AppendRows(const Batch& src, size_t from, size_t to);
  // Appends copies of rows rows[0..n) of `src` (same schema), in that order, column by column.
  void AppendSelected(const Batch& src, const uint32_t* rows, size_t n);
  // Writes row `src_row` of `src` into existing row `row`, into columns from `first_column` on
  // (src's columns must match them in type); strings into this batch's arena.
  void CopyRowInto(const Batch& src, size_t src_row, size_t row, size_t first_column);
  // Sets field `col` of `row`, converting `v` to the column's type; false when it cannot.
  bool SetValue(size_t row, size_t col, const Value& v);
  // Copies a string into this batch's arena and stores it.
  void SetString(size_t row, size_t col, std::string_view s) {
    columns_[col].SetString(row, arena_.Add(s));
  }

 private:
  std::vector<Column> columns_;
  std::vector<int64_t> timestamps_;
  // The kinds of rows [0, kind_rows_); later rows are inserts. The vector keeps its size, so that
  // a batch reused for every push does not allocate.
  std::vector<ChangeKind> kinds_;
  size_t kind_rows_ = 0;
  StringArena arena_;
};

}  // namespace sluice
