#include "common/row_key.h"

#include <algorithm>
#include <bit>
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

namespace {

constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;

uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

uint64_t Load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap32(w);
  return w;
}

// The `n` < 8 bytes at p as a little-endian word, zero-padded, with fixed-size loads only (a
// memcpy of a variable size is a call).
uint64_t Partial(const char* p, size_t n) {
  if (n >= 4) return Load32(p) | ((Load32(p + n - 4) >> (8 * (8 - n))) << 32);
  if (n == 0) return 0;
  // Without a branch on n (1..3): the first, middle and last byte, masked to n bytes.
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t w =
      u[0] | (static_cast<uint64_t>(u[n / 2]) << 8) | (static_cast<uint64_t>(u[n - 1]) << 16);
  return w & ((uint64_t{1} << (8 * n)) - 1);
}

// The hash is a function of the key's length and of its bytes taken as little-endian words
// (the last one zero-padded), each mixed in by a multiply; then MurmurHash3's finaliser.
uint64_t Start(size_t len) { return 0x2545f4914f6cdd1dULL ^ (len * kMul); }

uint64_t Mix(uint64_t h, uint64_t word) {
  h = (h ^ word) * kMul;
  return h ^ (h >> 29);
}

uint64_t MixBytes(uint64_t h, const char* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) h = Mix(h, Load64(p));
  return n > 0 ? Mix(h, Partial(p, n)) : h;
}

uint64_t Finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

uint64_t KeyHash(std::string_view key) {
  return Finish(MixBytes(Start(key.size()), key.data(), key.size()));
}

namespace {

// The words of the bytes AppendValueKey appends, assembled in registers: writing the bytes to a
// buffer and loading words back costs a store-forwarding stall per word.
uint64_t NullKeyHash() { return Finish(Mix(Start(1), 0)); }  // '\0'

// '\1' and the value's 8 bytes: the first word holds seven of them, the second the last.
uint64_t WordKeyHash(uint64_t v) { return Finish(Mix(Mix(Start(9), 1 | (v << 8)), v >> 56)); }

uint64_t DoubleKeyHash(double d) {
  if (d == 0) d = 0.0;
  if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
  uint64_t v;
  std::memcpy(&v, &d, sizeof v);
  return WordKeyHash(v);
}

// '\1', the length in 4 bytes, then the bytes: the first word holds three of them.
uint64_t StringKeyHash(std::string_view s) {
  size_t n = s.size();
  size_t head = std::min<size_t>(n, 3);
  uint64_t first =
      1 | (static_cast<uint64_t>(static_cast<uint32_t>(n)) << 8) | (Partial(s.data(), head) << 40);
  return Finish(MixBytes(Mix(Start(5 + n), first), s.data() + head, n - head));
}

}  // namespace

uint64_t ValueKeyHash(const Column& column, size_t row) {
  uint64_t h;
  ValueKeyHashes(column, row, 1, &h);
  return h;
}

void ValueKeyHashes(const Column& column, size_t from, size_t n, uint64_t* out) {
  const uint8_t* valid = column.valid() + from;
  switch (column.type().physical()) {
    case PhysicalType::kInt64: {
      const int64_t* v = column.ints() + from;
      for (size_t i = 0; i < n; ++i)
        out[i] = valid[i] ? WordKeyHash(static_cast<uint64_t>(v[i])) : NullKeyHash();
      return;
    }
    case PhysicalType::kDouble: {
      const double* v = column.doubles() + from;
      for (size_t i = 0; i < n; ++i) out[i] = valid[i] ? DoubleKeyHash(v[i]) : NullKeyHash();
      return;
    }
    case PhysicalType::kString: {
      const StringRef* v = column.strings() + from;
      for (size_t i = 0; i < n; ++i) out[i] = valid[i] ? StringKeyHash(v[i].view()) : NullKeyHash();
      return;
    }
  }
}

}  // namespace sluice
