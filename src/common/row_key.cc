#include "common/row_key.h"

namespace sluice {

void AppendValueKey(const Column& column, size_t row, std::string* key) {
  if (column.IsNull(row)) {
    key->push_back('\0');
    return;
  }
  key->push_back('\1');
  switch (column.type().physical()) {
    case PhysicalType::kInt64:
      key->append(reinterpret_cast<const char*>(&column.ints()[row]), sizeof(int64_t));
      break;
    case PhysicalType::kDouble: {
      double d = column.doubles()[row] == 0 ? 0.0 : column.doubles()[row];
      key->append(reinterpret_cast<const char*>(&d), sizeof d);
      break;
    }
    case PhysicalType::kString: {
      uint32_t n = column.strings()[row].size;
      key->append(reinterpret_cast<const char*>(&n), sizeof n);
      key->append(column.strings()[row].data, n);
      break;
    }
  }
}

}  // namespace sluice
