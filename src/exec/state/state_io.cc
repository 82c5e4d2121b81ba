#include "exec/state/state_io.h"

namespace sluice::exec {

void StateWriter::WriteColumn(const Column& c) {
  DataType t = c.type();
  U8(static_cast<uint8_t>(t.id));
  U8(t.precision);
  U8(t.scale);
  size_t n = c.size();
  U64(n);
  Raw(c.valid(), n);
  switch (t.physical()) {
    case PhysicalType::kInt64:
      Raw(c.ints(), n * sizeof(int64_t));
      break;
    case PhysicalType::kDouble:
      Raw(c.doubles(), n * sizeof(double));
      break;
    case PhysicalType::kString:
      for (size_t i = 0; i < n; ++i) Str(c.IsNull(i) ? std::string_view() : c.strings()[i].view());
      break;
  }
}

void StateWriter::WriteBatch(const Batch& b) {
  U64(b.num_columns());
  for (size_t c = 0; c < b.num_columns(); ++c) {
    const Column& col = b.column(c);
    U8(static_cast<uint8_t>(col.type().id));
    U8(col.type().precision);
    U8(col.type().scale);
  }
  U64(b.num_rows());
  Raw(b.timestamps(), b.num_rows() * sizeof(int64_t));
  Bool(b.has_kinds());
  if (b.has_kinds())
    for (size_t r = 0; r < b.num_rows(); ++r) U8(static_cast<uint8_t>(b.kind(r)));
  for (size_t c = 0; c < b.num_columns(); ++c) {
    const Column& col = b.column(c);
    Raw(col.valid(), b.num_rows());
    switch (col.type().physical()) {
      case PhysicalType::kInt64:
        Raw(col.ints(), b.num_rows() * sizeof(int64_t));
        break;
      case PhysicalType::kDouble:
        Raw(col.doubles(), b.num_rows() * sizeof(double));
        break;
      case PhysicalType::kString:
        for (size_t r = 0; r < b.num_rows(); ++r)
          Str(col.IsNull(r) ? std::string_view() : col.strings()[r].view());
        break;
    }
  }
}

uint32_t StateReader::Section(std::string_view tag, uint32_t max_version) {
  std::string got = Str();
  uint32_t version = U32();
  if (!ok()) return 0;
  if (got != tag) {
    Fail("expected the state of " + std::string(tag) + ", found " + got.substr(0, 40));
    return 0;
  }
  if (version == 0 || version > max_version) {
    Fail("the state of " + std::string(tag) + " is of format version " + std::to_string(version) +
         "; this build reads versions up to " + std::to_string(max_version));
    return 0;
  }
  return version;
}

namespace {

DataType TypeOf(uint8_t id, uint8_t precision, uint8_t scale) {
  DataType t;
  t.id = static_cast<TypeId>(id);
  t.precision = precision;
  t.scale = scale;
  return t;
}

}  // namespace

void StateReader::ReadColumn(Column* c) {
  uint8_t id = U8(), precision = U8(), scale = U8();
  DataType t = TypeOf(id, precision, scale);
  if (id > static_cast<uint8_t>(TypeId::kTimestamp)) Fail("an unknown type in a column");
  if (ok() && !(t == c->type()))
    Fail("a column of type " + t.ToString() + " where " + c->type().ToString() + " is expected");
  uint64_t n = Size(1);
  if (!ok()) return;
  c->Resize(n);
  Raw(c->valid(), n);
  switch (c->type().physical()) {
    case PhysicalType::kInt64:
      Raw(c->ints(), n * sizeof(int64_t));
      break;
    case PhysicalType::kDouble:
      Raw(c->doubles(), n * sizeof(double));
      break;
    case PhysicalType::kString:
      // Strings of a column live in a batch's arena; a bare column keeps none.
      Fail("a string column outside a batch");
      break;
  }
}

void StateReader::ReadBatch(Batch* b) {
  uint64_t ncols = Size(3);
  Schema schema;
  for (uint64_t c = 0; c < ncols && ok(); ++c) {
    uint8_t id = U8(), precision = U8(), scale = U8();
    if (id > static_cast<uint8_t>(TypeId::kTimestamp)) Fail("an unknown type in a batch");
    schema.Add("", TypeOf(id, precision, scale));
  }
  if (!ok()) return;
  b->Reset(schema);
  uint64_t rows = Size(sizeof(int64_t));
  if (!ok()) return;
  b->Resize(rows);
  Raw(b->timestamps(), rows * sizeof(int64_t));
  if (Bool()) {
    for (uint64_t r = 0; r < rows && ok(); ++r) {
      uint8_t k = U8();
      if (k > static_cast<uint8_t>(ChangeKind::kDelete)) return Fail("an unknown change kind");
      b->SetKind(r, static_cast<ChangeKind>(k));
    }
  }
  for (uint64_t c = 0; c < ncols && ok(); ++c) {
    Column& col = b->column(c);
    Raw(col.valid(), rows);
    switch (col.type().physical()) {
      case PhysicalType::kInt64:
        Raw(col.ints(), rows * sizeof(int64_t));
        break;
      case PhysicalType::kDouble:
        Raw(col.doubles(), rows * sizeof(double));
        break;
      case PhysicalType::kString:
        for (uint64_t r = 0; r < rows && ok(); ++r) {
          std::string s = Str();
          if (col.valid()[r]) b->SetString(r, c, s);
        }
        break;
    }
  }
}

}  // namespace sluice::exec
