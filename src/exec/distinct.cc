#include "exec/distinct.h"

#include <cstring>

namespace sluice::exec {

namespace {

// The row's values as bytes that are equal exactly when the rows are (NULLs included).
void RowKey(const Batch& b, size_t row, std::string* key) {
  key->clear();
  for (size_t c = 0; c < b.num_columns(); ++c) {
    const Column& col = b.column(c);
    if (col.IsNull(row)) {
      key->push_back('\0');
      continue;
    }
    key->push_back('\1');
    switch (col.type().physical()) {
      case PhysicalType::kInt64:
        key->append(reinterpret_cast<const char*>(&col.ints()[row]), sizeof(int64_t));
        break;
      case PhysicalType::kDouble: {
        double d = col.doubles()[row] == 0 ? 0.0 : col.doubles()[row];  // -0.0 is 0.0
        key->append(reinterpret_cast<const char*>(&d), sizeof d);
        break;
      }
      case PhysicalType::kString: {
        uint32_t n = col.strings()[row].size;
        key->append(reinterpret_cast<const char*>(&n), sizeof n);
        key->append(col.strings()[row].data, n);
        break;
      }
    }
  }
}

}  // namespace

void DistinctOp::Push(const Batch& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (out_.num_columns() != batch.num_columns()) {
    Schema schema;
    for (size_t c = 0; c < batch.num_columns(); ++c) schema.Add("", batch.column(c).type());
    out_.Reset(schema);
  }
  out_.Clear();
  uint64_t repeated = 0;
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    RowKey(batch, r, &key_);
    if (seen_.insert(key_).second) {
      out_.AppendRow(batch, r);
    } else {
      ++repeated;
    }
  }
  if (repeated) {
    counters_->events_out.fetch_sub(repeated, std::memory_order_relaxed);
    counters_->filtered.fetch_add(repeated, std::memory_order_relaxed);
  }
  if (out_.num_rows() > 0) target_->Push(out_);
}

}  // namespace sluice::exec
