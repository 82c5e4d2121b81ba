#include "common/row_key.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace sluice {

void AppendNullKey(std::string* key) { key->push_back('\0'); }

void AppendIntKey(int64_t v, std::string* key) {
  key->push_back('\1');
  key->append(reinterpret_cast<const char*>(&v), sizeof v);
}

void AppendDoubleKey(double v, std::string* key) {
  if (v == 0) v = 0.0;                                              // -0.0 is 0.0
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();  // one NaN
  key->push_back('\1');
  key->append(reinterpret_cast<const char*>(&v), sizeof v);
}

void AppendStringKey(std::string_view v, std::string* key) {
  key->push_back('\1');
  uint32_t n = static_cast<uint32_t>(v.size());
  key->append(reinterpret_cast<const char*>(&n), sizeof n);
  key->append(v.data(), v.size());
}

void AppendValueKey(const Column& column, size_t row, std::string* key) {
  if (column.IsNull(row)) return AppendNullKey(key);
  switch (column.type().physical()) {
    case PhysicalType::kInt64:
      return AppendIntKey(column.ints()[row], key);
    case PhysicalType::kDouble:
      return AppendDoubleKey(column.doubles()[row], key);
    case PhysicalType::kString:
      return AppendStringKey(column.strings()[row].view(), key);
  }
}

uint64_t KeyHash(std::string_view key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char b : key) h = (h ^ b) * 1099511628211ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

}  // namespace sluice
