// Joins through the public API where threads are involved; their semantics are covered by the
// end-to-end cases tests/e2e/join_*.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
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

// Window contents leave a join side by identity (Core 2, event ids): a NaN price is not equal to
// itself, and by value it never left WINDOW('length', 1), joining every later arrival. Repeated
// rows and NULLs leave one at a time.
TEST(JoinTest, EventsLeaveBySequenceNotByValue) {
  AppOptions opts;
  opts.playback = true;
  auto loaded = AppRuntime::Load(
      "CREATE STREAM T (sym STRING, p DOUBLE);\n"
      "CREATE STREAM Q (sym STRING);\n"
      "INSERT INTO J SELECT t.p FROM T WINDOW('length', 1) AS t\n"
      "  JOIN Q WINDOW('length', 1) AS q ON t.sym = q.sym;\n"
      "INSERT INTO K SELECT t.p FROM T WINDOW('length', 2) AS t\n"
      "  JOIN Q WINDOW('length', 1) AS q ON t.sym = q.sym;\n",
      opts);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  std::unique_ptr<AppRuntime> app = std::move(loaded).value();
  std::vector<std::string> j, k;
  auto collect = [](std::vector<std::string>* rows) {
    return [rows](const OutputBatch& out) {
      const Column& p = out.batch->column(0);
      for (size_t r = 0; r < out.batch->num_rows(); ++r)
        rows->push_back(!p.IsNull(r) && std::isnan(p.doubles()[r]) ? "NaN"
                                                                   : p.GetValue(r).ToString());
    };
  };
  ASSERT_TRUE(app->AddCallback("J", collect(&j)).ok());
  ASSERT_TRUE(app->AddCallback("K", collect(&k)).ok());
  ASSERT_TRUE(app->Start().ok());
  InputHandler* t = app->GetInputHandler("T");
  InputHandler* q = app->GetInputHandler("Q");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Send refuses a NaN; a batch carries it as it is.
  Batch b(t->schema());
  b.AddRow(1);
  b.column(0).SetString(0, b.arena().Add("a"));
  b.column(1).SetDouble(0, nan);
  ASSERT_TRUE(t->SendBatch(b).ok());
  ASSERT_TRUE(t->Send(2, {Value("a"), Value(1.5)}).ok());  // the NaN leaves J's side
  ASSERT_TRUE(q->Send(3, {Value("a")}).ok());
  ASSERT_TRUE(t->Send(4, {Value("a"), Value::Null()}).ok());
  ASSERT_TRUE(t->Send(5, {Value("a"), Value::Null()}).ok());
  ASSERT_TRUE(t->Send(6, {Value("a"), Value(2.5)}).ok());
  ASSERT_TRUE(q->Send(7, {Value("a")}).ok());
  ASSERT_TRUE(app->Shutdown().ok());
  // J: 1.5 joins q@3; then each arrival joins q@3 as it comes (NULL, NULL, 2.5); 2.5 joins q@7.
  EXPECT_EQ(j, (std::vector<std::string>{"1.5", "NULL", "NULL", "2.5", "2.5"}));
  // K holds two: at q@3 the NaN and 1.5; at q@7 the second NULL and 2.5.
  ASSERT_EQ(k.size(), 7u);
  EXPECT_EQ(k[0], "NaN");
  EXPECT_EQ(k[1], "1.5");
  EXPECT_EQ(k[5], "NULL");
  EXPECT_EQ(k[6], "2.5");
}

}  // namespace
}  // namespace sluice
