#include <cmath>
#include <cstring>

#include "common/convert.h"
#include "common/format.h"
#include "sluice/batch.h"
#include "sluice/types.h"

namespace sluice {

std::string DataType::ToString() const {
  switch (id) {
    case TypeId::kNull:
      return "NULL";
    case TypeId::kBool:
      return "BOOL";
    case TypeId::kInt:
      return "INT";
    case TypeId::kBigint:
      return "BIGINT";
    case TypeId::kFloat:
      return "FLOAT";
    case TypeId::kDouble:
      return "DOUBLE";
    case TypeId::kString:
      return "STRING";
    case TypeId::kTimestamp:
      return "TIMESTAMP";
    case TypeId::kDecimal:
      return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  }
  return "?";
}

int Schema::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string Schema::ToString() const {
  std::string s = "(";
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i) s += ", ";
    s += fields_[i].name + " " + fields_[i].type.ToString();
  }
  return s + ")";
}

Value Value::Float(float v) {
  Value r(static_cast<double>(v));
  r.type_ = TypeId::kFloat;
  return r;
}

Value Value::Timestamp(int64_t ms) {
  Value r(ms);
  r.type_ = TypeId::kTimestamp;
  return r;
}

Value Value::Decimal(int64_t unscaled, int scale) {
  Value r(unscaled);
  r.type_ = TypeId::kDecimal;
  r.scale_ = static_cast<uint8_t>(scale);
  return r;
}

double Value::AsDouble() const {
  switch (type_) {
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kTimestamp:
    case TypeId::kBool:
      return static_cast<double>(i_);
    case TypeId::kFloat:
    case TypeId::kDouble:
      return d_;
    case TypeId::kDecimal:
      return static_cast<double>(i_) / static_cast<double>(Pow10(scale_));
    default:
      return 0;
  }
}

std::string Value::ToString() const {
  std::string s;
  switch (type_) {
    case TypeId::kNull:
      return "NULL";
    case TypeId::kBool:
      return i_ ? "true" : "false";
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kTimestamp:
      AppendInt(&s, i_);
      return s;
    case TypeId::kFloat:
      AppendDouble(&s, d_, true);
      return s;
    case TypeId::kDouble:
      AppendDouble(&s, d_, false);
      return s;
    case TypeId::kDecimal:
      AppendDecimal(&s, i_, scale_);
      return s;
    case TypeId::kString:
      return "'" + s_ + "'";
  }
  return s;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case TypeId::kNull:
      return true;
    case TypeId::kFloat:
    case TypeId::kDouble:
      return a.d_ == b.d_;
    case TypeId::kString:
      return a.s_ == b.s_;
    case TypeId::kDecimal:
      return a.i_ == b.i_ && a.scale_ == b.scale_;
    default:
      return a.i_ == b.i_;
  }
}

// ---- StringArena -------------------------------------------------------------------------------

static constexpr size_t kMinChunk = 16 * 1024;

char* StringArena::AllocateChunk(size_t n) {
  size_t cap = std::max(kMinChunk, n);
  if (!chunks_.empty()) {
    Chunk& last = chunks_.back();
    last.used = static_cast<size_t>(cur_ - last.data.get());
    cap = std::max(cap, last.capacity * 2);
  }
  Chunk c;
  c.data.reset(new char[cap]);
  c.capacity = cap;
  chunks_.push_back(std::move(c));
  char* p = chunks_.back().data.get();
  cur_ = p + n;
  end_ = p + cap;
  return p;
}

void StringArena::Reset() {
  if (chunks_.empty()) return;
  // Keep the largest chunk so that a reused batch stops allocating.
  size_t largest = 0;
  for (size_t i = 1; i < chunks_.size(); ++i)
    if (chunks_[i].capacity > chunks_[largest].capacity) largest = i;
  if (largest != 0) std::swap(chunks_[0], chunks_[largest]);
  chunks_.resize(1);
  chunks_[0].used = 0;
  cur_ = chunks_[0].data.get();
  end_ = cur_ + chunks_[0].capacity;
}

size_t StringArena::bytes_used() const {
  if (chunks_.empty()) return 0;
  size_t n = static_cast<size_t>(cur_ - chunks_.back().data.get());
  for (size_t i = 0; i + 1 < chunks_.size(); ++i) n += chunks_[i].used;
  return n;
}

// ---- Column / Batch ----------------------------------------------------------------------------

void Column::Reserve(size_t n) {
  valid_.reserve(n);
  switch (type_.physical()) {
    case PhysicalType::kInt64:
      ints_.reserve(n);
      break;
    case PhysicalType::kDouble:
      doubles_.reserve(n);
      break;
    case PhysicalType::kString:
      strings_.reserve(n);
      break;
  }
}

Value Column::GetValue(size_t i) const {
  if (IsNull(i)) return Value::Null();
  switch (type_.id) {
    case TypeId::kNull:
      return Value::Null();
    case TypeId::kBool:
      return Value(ints_[i] != 0);
    case TypeId::kInt:
      return Value(static_cast<int32_t>(ints_[i]));
    case TypeId::kBigint:
      return Value(static_cast<int64_t>(ints_[i]));
    case TypeId::kTimestamp:
      return Value::Timestamp(ints_[i]);
    case TypeId::kDecimal:
      return Value::Decimal(ints_[i], type_.scale);
    case TypeId::kFloat:
      return Value::Float(static_cast<float>(doubles_[i]));
    case TypeId::kDouble:
      return Value(doubles_[i]);
    case TypeId::kString:
      return Value(strings_[i].view());
  }
  return Value::Null();
}

Batch::Batch(const Schema& schema) { Reset(schema); }

void Batch::Reset(const Schema& schema) {
  columns_.resize(schema.size());
  for (size_t i = 0; i < schema.size(); ++i) {
    columns_[i].set_type(schema.field(i).type);
    columns_[i].Clear();
  }
  Clear();
}

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kInsert:
      return "+I";
    case ChangeKind::kUpdateBefore:
      return "-U";
    case ChangeKind::kUpdateAfter:
      return "+U";
    case ChangeKind::kDelete:
      return "-D";
  }
  return "+I";
}

void Batch::Resize(size_t n) {
  timestamps_.resize(n);
  kind_rows_ = std::min(kind_rows_, n);
  for (Column& c : columns_) c.Resize(n);
}

void Batch::Clear() {
  timestamps_.clear();
  kind_rows_ = 0;
  for (Column& c : columns_) c.Clear();
  arena_.Reset();
}

size_t Batch::AddRow(int64_t ts) {
  size_t row = timestamps_.size();
  timestamps_.push_back(ts);
  for (Column& c : columns_) c.AppendNull();
  return row;
}

size_t Batch::AppendRow(const Batch& src, size_t row) {
  AppendRows(src, row, row + 1);
  return num_rows() - 1;
}

void Batch::AppendRows(const Batch& src, size_t from, size_t to) {
  size_t base = num_rows();
  size_t n = to - from;
  Resize(base + n);
  std::memcpy(timestamps() + base, src.timestamps() + from, n * sizeof(int64_t));
  if (src.has_kinds())
    for (size_t i = 0; i < n; ++i) SetKind(base + i, src.kind(from + i));
  for (size_t c = 0; c < src.num_columns(); ++c) {
    const Column& s = src.column(c);
    Column& d = columns_[c];
    std::memcpy(d.valid() + base, s.valid() + from, n);
    switch (s.type().physical()) {
      case PhysicalType::kInt64:
        std::memcpy(d.ints() + base, s.ints() + from, n * sizeof(int64_t));
        break;
      case PhysicalType::kDouble:
        std::memcpy(d.doubles() + base, s.doubles() + from, n * sizeof(double));
        break;
      case PhysicalType::kString:
        for (size_t k = 0; k < n; ++k)
          if (s.valid()[from + k]) d.strings()[base + k] = arena_.Add(s.strings()[from + k].view());
        break;
    }
  }
}

void Batch::AppendSelected(const Batch& src, const uint32_t* rows, size_t n) {
  size_t base = num_rows();
  Resize(base + n);
  for (size_t i = 0; i < n; ++i) timestamps_[base + i] = src.timestamps_[rows[i]];
  if (src.has_kinds())
    for (size_t i = 0; i < n; ++i) SetKind(base + i, src.kind(rows[i]));
  for (size_t c = 0; c < src.num_columns(); ++c) {
    const Column& s = src.column(c);
    Column& d = columns_[c];
    for (size_t i = 0; i < n; ++i) d.valid()[base + i] = s.valid()[rows[i]];
    switch (s.type().physical()) {
      case PhysicalType::kInt64:
        for (size_t i = 0; i < n; ++i) d.ints()[base + i] = s.ints()[rows[i]];
        break;
      case PhysicalType::kDouble:
        for (size_t i = 0; i < n; ++i) d.doubles()[base + i] = s.doubles()[rows[i]];
        break;
      case PhysicalType::kString:
        for (size_t i = 0; i < n; ++i)
          if (s.valid()[rows[i]]) d.strings()[base + i] = arena_.Add(s.strings()[rows[i]].view());
        break;
    }
  }
}

void Batch::CopyRowInto(const Batch& src, size_t src_row, size_t row, size_t first_column) {
  for (size_t c = 0; c < src.num_columns(); ++c) {
    const Column& from = src.column(c);
    columns_[first_column + c].CopyRow(from, src_row, row);
    if (from.type().physical() == PhysicalType::kString && !from.IsNull(src_row))
      SetString(row, first_column + c, from.strings()[src_row].view());
  }
}

namespace {

// Whether an unscaled decimal fits DECIMAL(precision, scale): fewer than `precision` digits.
bool FitsPrecision(int64_t unscaled, int precision) {
  return precision <= 0 || precision >= 19 ||
         (unscaled > -Pow10(precision) && unscaled < Pow10(precision));
}

}  // namespace

bool Batch::SetValue(size_t row, size_t col, const Value& v) {
  Column& c = columns_[col];
  if (v.is_null()) {
    c.SetNull(row);
    return true;
  }
  DataType t = c.type();
  switch (t.id) {
    case TypeId::kString: {
      if (v.type() == TypeId::kString) {
        SetString(row, col, v.string_value());
      } else {
        std::string s = v.ToString();
        SetString(row, col, s);
      }
      return true;
    }
    case TypeId::kBool:
      if (v.type() == TypeId::kBool) return c.SetInt(row, v.int_value()), true;
      if (v.type() == TypeId::kString) {
        bool b;
        if (!ParseBool(v.string_value(), &b)) return false;
        return c.SetInt(row, b), true;
      }
      return false;
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kTimestamp: {
      int64_t x;
      switch (v.type()) {
        case TypeId::kInt:
        case TypeId::kBigint:
        case TypeId::kTimestamp:
          x = v.int_value();
          break;
        case TypeId::kFloat:
        case TypeId::kDouble: {
          // Only whole numbers: an event's 1.5 does not silently become 1.
          double d = v.double_value();
          if (!std::isfinite(d) || std::fabs(d) >= 9.2e18 || d != std::floor(d)) return false;
          x = static_cast<int64_t>(d);
          break;
        }
        case TypeId::kDecimal:
          if (!RescaleDecimal(v.int_value(), v.scale(), 0, &x) ||
              x * Pow10(v.scale()) != v.int_value())
            return false;
          break;
        case TypeId::kString:
          if (t.id == TypeId::kTimestamp && ParseIso8601(v.string_value(), &x)) break;
          if (!ParseInt64(v.string_value(), &x)) return false;
          break;
        default:
          return false;
      }
      if (t.id == TypeId::kInt && (x < INT32_MIN || x > INT32_MAX)) return false;
      return c.SetInt(row, x), true;
    }
    case TypeId::kFloat:
    case TypeId::kDouble: {
      double d;
      if (v.type() == TypeId::kString) {
        if (!ParseDouble(v.string_value(), &d)) return false;
      } else if (v.type() == TypeId::kBool) {
        return false;
      } else {
        d = v.AsDouble();
      }
      if (!std::isfinite(d)) return false;
      if (t.id == TypeId::kFloat) {
        if (std::fabs(d) > 3.4028234663852886e38) return false;
        d = static_cast<float>(d);
      }
      return c.SetDouble(row, d), true;
    }
    case TypeId::kDecimal: {
      int64_t x;
      switch (v.type()) {
        case TypeId::kInt:
        case TypeId::kBigint:
          if (!RescaleDecimal(v.int_value(), 0, t.scale, &x)) return false;
          break;
        case TypeId::kDecimal:
          if (!RescaleDecimal(v.int_value(), v.scale(), t.scale, &x)) return false;
          break;
        case TypeId::kFloat:
        case TypeId::kDouble: {
          std::string s;
          AppendDouble(&s, v.double_value(), v.type() == TypeId::kFloat);
          if (!ParseDecimal(s, t.scale, &x)) return false;
          break;
        }
        case TypeId::kString:
          if (!ParseDecimal(v.string_value(), t.scale, &x)) return false;
          break;
        default:
          return false;
      }
      if (!FitsPrecision(x, t.precision)) return false;
      return c.SetInt(row, x), true;
    }
    case TypeId::kNull:
      return false;
  }
  return false;
}

std::string ConversionProblem(const Value& v, DataType to) {
  std::string type = to.ToString();
  std::string text = v.type() == TypeId::kString ? v.string_value() : v.ToString();
  bool from_text = v.type() == TypeId::kString;
  if (to.is_integer() || to.id == TypeId::kTimestamp) {
    int64_t x;
    double d;
    if (from_text) {
      NumberParse r = ParseInt64Checked(text, &x);
      if (r == NumberParse::kOutOfRange) return "out of range for " + type;
      if (r == NumberParse::kOk) return "out of range for " + type;  // an INT beyond 32 bits
      if (ParseDouble(text, &d)) return "not an integer";
      return to.id == TypeId::kTimestamp ? "not a time (ms since the epoch, or ISO 8601)"
                                         : "not a number";
    }
    if (v.type() == TypeId::kDouble || v.type() == TypeId::kFloat) {
      d = v.double_value();
      if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return "out of range for " + type;
      return "not an integer";
    }
    if (v.type() == TypeId::kDecimal) return "not an integer";
    if (v.type() == TypeId::kBool) return "a BOOL, not a number";
    return "out of range for " + type;
  }
  if (to.is_floating()) {
    double d;
    if (v.type() == TypeId::kBool) return "a BOOL, not a number";
    if (from_text && ParseDoubleChecked(text, &d) == NumberParse::kSyntax) return "not a number";
    return "out of range for " + type;
  }
  if (to.id == TypeId::kDecimal) {
    double d;
    if (v.type() == TypeId::kBool) return "a BOOL, not a number";
    if (from_text && !ParseDouble(text, &d)) return "not a number";
    return "more digits than " + type + " holds";
  }
  if (to.id == TypeId::kBool) return "not true or false";
  return "not a " + type;
}

}  // namespace sluice
