// Joins through the public API where threads are involved; their semantics are covered by the
// end-to-end cases tests/e2e/join_*.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sluice/engine.h"

namespace sluice {
namespace {

// Both sides async with two workers each (partitioned by the join key), two producers per side.
// The windows never expire, so each pair of equal keys meets exactly once - when the later of the
// two arrives - whatever the interleaving: the count of joined rows is known.
TEST(JoinTest, AsyncSidesMeetEveryPairExactlyOnce) {
  AppOptions opts;
  auto loaded = AppRuntime::Load(
      "@Async(buffer_size='8', workers='2', batch_size_max='16')\n"
      "CREATE STREAM L (k INT, i INT);\n"
      "@Async(buffer_size='8', workers='2', batch_size_max='16')\n"
      "CREATE STREAM R (k INT, i INT);\n"
      "INSERT INTO J SELECT l.k, l.i AS li, r.i AS ri\n"
      "FROM L WINDOW('length', 100000) AS l JOIN R WINDOW('length', 100000) AS r ON l.k = r.k;",
      opts);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  std::unique_ptr<AppRuntime> app = std::move(loaded).value();
  std::atomic<uint64_t> joined{0};
  app->AddCallback("J", [&](const OutputBatch& out) { joined += out.batch->num_rows(); });
  ASSERT_TRUE(app->Start().ok());
  const int kPerProducer = 500, kKeys = 7;
  std::vector<std::thread> producers;
  for (const char* stream : {"L", "R"})
    for (int p = 0; p < 2; ++p)
      producers.emplace_back([&, stream, p] {
        InputHandler* in = app->GetInputHandler(stream);
        for (int i = 0; i < kPerProducer; ++i)
          ASSERT_TRUE(in->Send(i, {int32_t{(i + p) % kKeys}, int32_t{i}}).ok());
      });
  for (auto& t : producers) t.join();
  ASSERT_TRUE(app->Shutdown().ok());
  uint64_t per_key[2][kKeys] = {};
  for (int side = 0; side < 2; ++side)
    for (int p = 0; p < 2; ++p)
      for (int i = 0; i < kPerProducer; ++i) ++per_key[side][(i + p) % kKeys];
  uint64_t expected = 0;
  for (int k = 0; k < kKeys; ++k) expected += per_key[0][k] * per_key[1][k];
  EXPECT_EQ(joined.load(), expected);
  const QueryStats q = app->Stats().queries[0];
  EXPECT_EQ(q.rows_out, expected);
  EXPECT_EQ(q.events_in, 4u * kPerProducer);  // every event of both sides, once
  EXPECT_EQ(q.events_out, 4u * kPerProducer);
}

}  // namespace
}  // namespace sluice
