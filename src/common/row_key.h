// The one key encoding of the engine: values as bytes that are equal exactly when the values are
// equal as keys (NULL equals NULL, -0.0 equals 0.0, every NaN equals every NaN), for GROUP BY,
// PARTITION BY, join indexes, DISTINCT, table keys, window keys and async partitioning alike. A key
// of several values is the concatenation of their parts (strings carry their length, so parts
// cannot run into each other). KeyHash is stable across runs and machines, so that a key always
// lands in the same key group: the unit in which keyed state is split between workers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/batch.h"

namespace sluice {

// The number of key groups of an app: keyed state is organised by KeyGroupOf(KeyHash(key)).
inline constexpr uint32_t kKeyGroups = 128;

void AppendNullKey(std::string* key);
void AppendIntKey(int64_t v, std::string* key);
void AppendDoubleKey(double v, std::string* key);
void AppendStringKey(std::string_view v, std::string* key);
// Row `row` of `column`, by its physical type.
void AppendValueKey(const Column& column, size_t row, std::string* key);

// A 64-bit hash of key bytes: the same value for the same bytes on every run and machine.
uint64_t KeyHash(std::string_view key);
// KeyHash of what AppendValueKey appends for row `row` of `column`, without a string.
uint64_t ValueKeyHash(const Column& column, size_t row);
// ValueKeyHash of rows [from, from + n) into out[0..n).
void ValueKeyHashes(const Column& column, size_t from, size_t n, uint64_t* out);
inline uint32_t KeyGroupOf(uint64_t hash) { return static_cast<uint32_t>(hash % kKeyGroups); }

}  // namespace sluice
