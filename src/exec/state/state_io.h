// The binary format of operator state (Core 2's state contract): what Snapshot writes and Restore
// reads. Little-endian fixed-width numbers, length-prefixed strings and vectors; every operator's
// part starts with a section tag and a format version, so that a snapshot is checked where it is
// read (a wrong or newer section is an error that names it, never garbage state).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/batch.h"
#include "sluice/status.h"

namespace sluice::exec {

class StateWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void U32(uint32_t v) { Raw(&v, sizeof v); }
  void U64(uint64_t v) { Raw(&v, sizeof v); }
  void I64(int64_t v) { Raw(&v, sizeof v); }
  void F64(double v) { Raw(&v, sizeof v); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s.data(), s.size());
  }
  template <typename T>
  void Vec(const std::vector<T>& v) {  // of numbers
    U64(v.size());
    if (!v.empty()) Raw(v.data(), v.size() * sizeof(T));
  }
  // A section: its tag and version, checked by StateReader::Section.
  void Section(std::string_view tag, uint32_t version) {
    Str(tag);
    U32(version);
  }
  // A column or a batch with its types and its strings.
  void WriteColumn(const Column& c);
  void WriteBatch(const Batch& b);

  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Raw(const void* p, size_t n) {
    if (n) out_.append(static_cast<const char*>(p), n);  // an empty column's buffer may be null
  }
  std::string out_;
};

// Reads what StateWriter wrote. A read past the end, or a section that is not the one expected,
// makes it fail (status() says where); reads after a failure return zeros.
class StateReader {
 public:
  explicit StateReader(std::string_view data) : data_(data) {}

  uint8_t U8() {
    uint8_t v = 0;
    Raw(&v, 1);
    return v;
  }
  bool Bool() { return U8() != 0; }
  uint32_t U32() { return Get<uint32_t>(); }
  uint64_t U64() { return Get<uint64_t>(); }
  int64_t I64() { return Get<int64_t>(); }
  double F64() { return Get<double>(); }
  std::string Str() {
    uint64_t n = Size(1);
    std::string s(n, '\0');
    if (n) Raw(s.data(), n);
    return s;
  }
  template <typename T>
  std::vector<T> Vec() {
    uint64_t n = Size(sizeof(T));
    std::vector<T> v(n);
    if (n) Raw(v.data(), n * sizeof(T));
    return v;
  }
  // A count of items of at least `item_bytes` each that the rest of the data can hold.
  uint64_t Size(size_t item_bytes) {
    uint64_t n = U64();
    if (ok() && item_bytes > 0 && n > (data_.size() - pos_) / item_bytes) {
      Fail("a length beyond the end of the data");
      return 0;
    }
    return n;
  }
  // Expects the section `tag` of at most `max_version`; its version, or 0 on failure.
  uint32_t Section(std::string_view tag, uint32_t max_version);
  void ReadColumn(Column* c);
  void ReadBatch(Batch* b);

  bool ok() const { return error_.empty(); }
  bool at_end() const { return pos_ == data_.size(); }
  void Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why) + " (at byte " + std::to_string(pos_) + ")";
  }
  Status status() const {
    return ok() ? Status::OK() : Status::InvalidArgument("corrupt state: " + error_);
  }

 private:
  template <typename T>
  T Get() {
    T v{};
    Raw(&v, sizeof v);
    return v;
  }
  void Raw(void* p, size_t n) {
    if (n == 0) return;  // an empty column's buffer may be null
    if (!ok() || data_.size() - pos_ < n) {
      Fail("the data ends early");
      std::memset(p, 0, n);
      return;
    }
    std::memcpy(p, data_.data() + pos_, n);
    pos_ += n;
  }

  std::string_view data_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace sluice::exec
