#include "common/histogram.h"

#include <bit>

namespace sluice {

int LatencyHistogram::BucketOf(uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<int>(v);
  int msb = 63 - std::countl_zero(v);  // >= kSubBits
  int sub = static_cast<int>((v >> (msb - kSubBits)) & ((1 << kSubBits) - 1));
  int b = (msb - kSubBits + 1) * (1 << kSubBits) + sub;
  return b < kBuckets ? b : kBuckets - 1;
}

uint64_t LatencyHistogram::ValueOf(int bucket) {
  if (bucket < (1 << kSubBits)) return static_cast<uint64_t>(bucket);
  int msb = bucket / (1 << kSubBits) + kSubBits - 1;
  uint64_t sub = static_cast<uint64_t>(bucket % (1 << kSubBits));
  // The upper edge of the bucket: a percentile is never under-reported.
  return ((uint64_t{1} << kSubBits | sub) << (msb - kSubBits)) + (uint64_t{1} << (msb - kSubBits)) -
         1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  buckets_[BucketOf(nanos)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::Percentile(double fraction) const {
  uint64_t total = count();
  if (total == 0) return 0;
  uint64_t target = static_cast<uint64_t>(fraction * static_cast<double>(total));
  if (target >= total) target = total - 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[b].load(std::memory_order_relaxed);
    if (seen > target) return ValueOf(b);
  }
  return ValueOf(kBuckets - 1);
}

}  // namespace sluice
