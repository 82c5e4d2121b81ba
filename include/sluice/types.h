// The value types of the dialect (DIALECT.md "Types and conversions"), a schema of named fields,
// and Value: one dynamically typed value, for single-event sends and for tests. The hot path never
// uses Value; it works on the typed columns of sluice/batch.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class TypeId : uint8_t {
  kNull,  // the type of a bare NULL literal; converts to any type
  kBool,
  kInt,     // 32-bit signed
  kBigint,  // 64-bit signed (LONG)
  kFloat,   // 32-bit IEEE
  kDouble,
  kDecimal,  // exact, precision <= 18, stored as a scaled int64
  kString,
  kTimestamp,  // milliseconds since the epoch
};

// How a column of a type is stored: BOOL, INT, BIGINT, DECIMAL and TIMESTAMP in int64 slots,
// FLOAT and DOUBLE in double slots (FLOAT rounded to float precision), STRING as StringRef.
enum class PhysicalType : uint8_t { kInt64, kDouble, kString };

struct DataType {
  TypeId id = TypeId::kNull;
  uint8_t precision = 0;  // DECIMAL only
  uint8_t scale = 0;      // DECIMAL only

  static DataType Null() { return {TypeId::kNull}; }
  static DataType Bool() { return {TypeId::kBool}; }
  static DataType Int() { return {TypeId::kInt}; }
  static DataType Bigint() { return {TypeId::kBigint}; }
  static DataType Float() { return {TypeId::kFloat}; }
  static DataType Double() { return {TypeId::kDouble}; }
  static DataType String() { return {TypeId::kString}; }
  static DataType Timestamp() { return {TypeId::kTimestamp}; }
  static DataType Decimal(int precision, int scale) {
    return {TypeId::kDecimal, static_cast<uint8_t>(precision), static_cast<uint8_t>(scale)};
  }

  bool is_integer() const { return id == TypeId::kInt || id == TypeId::kBigint; }
  bool is_floating() const { return id == TypeId::kFloat || id == TypeId::kDouble; }
  bool is_numeric() const { return is_integer() || is_floating() || id == TypeId::kDecimal; }
  PhysicalType physical() const {
    if (is_floating()) return PhysicalType::kDouble;
    if (id == TypeId::kString) return PhysicalType::kString;
    return PhysicalType::kInt64;
  }
  // The dialect's spelling: "BIGINT", "DECIMAL(10,2)".
  std::string ToString() const;

  friend bool operator==(const DataType& a, const DataType& b) {
    return a.id == b.id && a.precision == b.precision && a.scale == b.scale;
  }
};

struct Field {
  std::string name;
  DataType type;
};

// An ordered list of named, typed fields: the attributes of a stream or table.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  size_t size() const { return fields_.size(); }
  const Field& field(size_t i) const { return fields_[i]; }
  const std::vector<Field>& fields() const { return fields_; }
  void Add(std::string name, DataType type) { fields_.push_back({std::move(name), type}); }
  // Index of the field called `name` (case-sensitive), or -1.
  int IndexOf(std::string_view name) const;
  // "(symbol STRING, price DOUBLE)".
  std::string ToString() const;

 private:
  std::vector<Field> fields_;
};

// One dynamically typed value. Cheap to copy for everything but strings.
class Value {
 public:
  Value() = default;                                                  // NULL
  Value(bool v) : type_(TypeId::kBool), i_(v) {}                      // NOLINT: implicit by design
  Value(int32_t v) : type_(TypeId::kInt), i_(v) {}                    // NOLINT
  Value(int64_t v) : type_(TypeId::kBigint), i_(v) {}                 // NOLINT
  Value(double v) : type_(TypeId::kDouble), d_(v) {}                  // NOLINT
  Value(const char* v) : type_(TypeId::kString), s_(v) {}             // NOLINT
  Value(std::string v) : type_(TypeId::kString), s_(std::move(v)) {}  // NOLINT
  Value(std::string_view v) : type_(TypeId::kString), s_(v) {}        // NOLINT

  static Value Null() { return Value(); }
  static Value Float(float v);
  static Value Timestamp(int64_t ms);
  // A DECIMAL with the given unscaled value and scale: Decimal(1250, 2) is 12.50.
  static Value Decimal(int64_t unscaled, int scale);

  TypeId type() const { return type_; }
  bool is_null() const { return type_ == TypeId::kNull; }
  // For BOOL, INT, BIGINT, TIMESTAMP and the unscaled DECIMAL.
  int64_t int_value() const { return i_; }
  double double_value() const { return d_; }
  const std::string& string_value() const { return s_; }
  int scale() const { return scale_; }
  // A numeric value as a double (DECIMAL scaled); 0 for non-numeric.
  double AsDouble() const;
  // SQL literal-like text: NULL, true, 42, 1.5, 'text'.
  std::string ToString() const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  TypeId type_ = TypeId::kNull;
  uint8_t scale_ = 0;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
};

}  // namespace sluice
