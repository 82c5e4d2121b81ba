#include "common/histogram.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(LatencyHistogramTest, PercentilesWithinBucketResolution) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.Record(v * 1000);  // 1 us .. 10 ms
  uint64_t p50 = h.Percentile(0.5), p99 = h.Percentile(0.99);
  EXPECT_GE(p50, 5'000'000u);
  EXPECT_LE(p50, 5'700'000u);
  EXPECT_GE(p99, 9'900'000u);
  EXPECT_LE(p99, 11'300'000u);
  EXPECT_EQ(h.count(), 10000u);
}

TEST(LatencyHistogramTest, EmptyAndSmall) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), 0u);
  h.Record(3);
  EXPECT_EQ(h.Percentile(0.5), 3u);
}

}  // namespace
}  // namespace sluice
