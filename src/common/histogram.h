// A latency histogram in the manner of HDR: log-linear buckets (8 per power of two, so about 12%
// resolution) over 1 ns .. ~70 s, with atomic counters: Record is wait-free and allocation-free;
// percentiles come from the bucket counts, never from a sorted vector.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace sluice {

class LatencyHistogram {
 public:
  void Record(uint64_t nanos);
  // The value (ns) below which `fraction` of the recorded values fall; 0 when empty.
  uint64_t Percentile(double fraction) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kSubBits = 3;
  static constexpr int kBuckets = 37 * (1 << kSubBits);
  static int BucketOf(uint64_t v);
  static uint64_t ValueOf(int bucket);
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
};

}  // namespace sluice
