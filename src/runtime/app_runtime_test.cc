#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "sluice/engine.h"

namespace sluice {
namespace {

std::unique_ptr<AppRuntime> LoadOk(const std::string& text, AppOptions opts = {}) {
  auto app = AppRuntime::Load(text, opts);
  EXPECT_TRUE(app.ok()) << app.status().message();
  return app.ok() ? std::move(app).value() : nullptr;
}

TEST(AppRuntimeTest, LoadReportsEveryErrorAsAValue) {
  AppOptions opts;
  opts.file_name = "x.sql";
  auto app = AppRuntime::Load("CREATE STREAM S (a INT);\nINSERT INTO O SELECT b, c FROM S;", opts);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(app.status().message().find("x.sql:2:22: error: unknown attribute 'b'"),
            std::string::npos);
  EXPECT_NE(app.status().message().find("x.sql:2:25: error: unknown attribute 'c'"),
            std::string::npos);
}

TEST(AppRuntimeTest, SendsEventsAndBatchesThroughChainedQueries) {
  auto app = LoadOk(
      "CREATE STREAM S (sym STRING, p DOUBLE);\n"
      "INSERT INTO A SELECT sym, p * 2 AS p2 FROM S WHERE p > 1;\n"
      "INSERT INTO B SELECT sym FROM A WHERE p2 > 10;");
  std::vector<std::string> seen;
  ASSERT_TRUE(app->AddOutputCallback([&](const OutputBatch& out) {
                   for (size_t r = 0; r < out.batch->num_rows(); ++r)
                     seen.push_back(std::string(out.stream) + ":" +
                                    out.batch->column(0).GetValue(r).ToString());
                 })
                  .ok());
  ASSERT_TRUE(app->Start().ok());
  InputHandler* in = app->GetInputHandler("S");
  ASSERT_NE(in, nullptr);
  ASSERT_TRUE(in->Send(1, {"a", 0.5}).ok());
  ASSERT_TRUE(in->Send(2, {"b", 6.0}).ok());
  Batch batch(in->schema());
  size_t r = batch.AddRow(3);
  batch.SetString(r, 0, "c");
  batch.column(1).SetDouble(r, 2.0);
  ASSERT_TRUE(in->SendBatch(batch).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"A:'b'", "B:'b'", "A:'c'"}));
  AppStats stats = app->Stats();
  EXPECT_EQ(stats.queries[0].events_in, 3u);
  EXPECT_EQ(stats.queries[0].events_out, 2u);
  EXPECT_EQ(stats.queries[0].filtered, 1u);
  EXPECT_TRUE(app->Shutdown().ok());
}

TEST(AppRuntimeTest, BadSendsAreRejectedAndCounted) {
  auto app = LoadOk("CREATE STREAM S (a INT);\nINSERT INTO O SELECT a FROM S;");
  InputHandler* in = app->GetInputHandler("S");
  EXPECT_EQ(in->Send(1, {"nope"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(in->Send(1, {int32_t{1}, int32_t{2}}).code(), StatusCode::kInvalidArgument);
  Batch wrong(Schema({{"a", DataType::String()}}));
  EXPECT_EQ(in->SendBatch(wrong).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(app->Stats().streams[0].malformed, 2u);
  EXPECT_EQ(app->GetInputHandler("Nope"), nullptr);
}

TEST(AppRuntimeTest, FailActionStopsTheAppWithTheError) {
  auto app = LoadOk(
      "@onError(action='fail') CREATE STREAM S (a INT, b INT);\n"
      "INSERT INTO O SELECT a / b AS q FROM S;");
  InputHandler* in = app->GetInputHandler("S");
  ASSERT_TRUE(in->Send(1, {int32_t{4}, int32_t{2}}).ok());
  Status st = in->Send(2, {int32_t{4}, int32_t{0}});
  EXPECT_EQ(st.code(), StatusCode::kRuntimeError);
  EXPECT_NE(st.message().find("division by zero"), std::string::npos);
  EXPECT_FALSE(app->status().ok());
  EXPECT_FALSE(in->Send(3, {int32_t{1}, int32_t{1}}).ok());
}

TEST(AppRuntimeTest, CountersAddUp) {
  auto app = LoadOk(
      "@onError(action='stream') CREATE STREAM S (a INT, b INT);\n"
      "INSERT INTO O SELECT a / b AS q FROM S WHERE a > 0;");
  InputHandler* in = app->GetInputHandler("S");
  for (int i = -2; i < 8; ++i) ASSERT_TRUE(in->Send(i, {int32_t{i}, int32_t{i % 3}}).ok());
  QueryStats q = app->Stats().queries[0];
  EXPECT_EQ(q.events_in, 10u);
  EXPECT_EQ(q.events_in, q.events_out + q.filtered + q.faulted + q.dropped);
  EXPECT_EQ(q.faulted, 2u);  // a = 3 and 6
}

// in = out + filtered + faulted + dropped held only for stateless queries: aggregates and
// patterns counted result rows as out, and a pattern query reported in=0.
TEST(AppRuntimeTest, EveryQueryAccountsForEveryEvent) {
  AppOptions opts;
  opts.playback = true;
  auto app = LoadOk(
      "@onError(action='stream') CREATE STREAM S (k STRING, v INT);\n"
      "CREATE STREAM T (k STRING, w INT);\n"
      "CREATE TABLE Tab (k STRING PRIMARY KEY, v INT);\n"
      "@info(name='stateless') INSERT INTO A SELECT k, 10 / v AS x FROM S WHERE v < 5;\n"
      "@info(name='grouped') INSERT INTO B SELECT k, sum(v) AS s FROM S WHERE v > 0 GROUP BY k;\n"
      "@info(name='tumbling') INSERT INTO C SELECT k, count() AS n FROM S WINDOW TUMBLING(10 ms) "
      "GROUP BY k;\n"
      "@info(name='first') INSERT INTO D SELECT k, v FROM S WINDOW('firstUnique', k);\n"
      "@info(name='distinct') INSERT INTO E SELECT DISTINCT k FROM S;\n"
      "@info(name='table') INSERT INTO Tab SELECT k, v FROM S;\n"
      "@info(name='join') INSERT INTO F SELECT s.k, s.v, t.w FROM S[v > 1] WINDOW('length', 10) "
      "AS s JOIN T WINDOW('length', 10) AS t ON s.k = t.k;\n"
      "@info(name='pattern') INSERT INTO G SELECT a.v AS a, b.w AS b FROM PATTERN EVERY "
      "a=S[v > 2] -> b=T[w > a.v];\n",
      opts);
  ASSERT_TRUE(app->Start().ok());
  InputHandler* s = app->GetInputHandler("S");
  InputHandler* t = app->GetInputHandler("T");
  const int v[] = {1, 0, 3, 4, 7, 2, 0, 5};
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(s->Send(i * 5, {i % 2 ? "a" : "b", int32_t{v[i]}}).ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(t->Send(40 + i, {"a", int32_t{i * 3}}).ok());
  ASSERT_TRUE(app->FinishInput().ok());
  std::map<std::string, QueryStats> by_name;
  for (const QueryStats& q : app->Stats().queries) by_name[q.name] = q;
  for (const auto& [name, q] : by_name) {
    EXPECT_EQ(q.events_in, q.events_out + q.filtered + q.faulted + q.dropped) << name;
    EXPECT_GT(q.events_in, 0u) << name;
  }
  EXPECT_EQ(by_name["stateless"].faulted, 2u);   // v = 0 twice: division by zero
  EXPECT_EQ(by_name["stateless"].filtered, 2u);  // v = 7 and 5
  EXPECT_EQ(by_name["stateless"].rows_out, 4u);
  EXPECT_EQ(by_name["grouped"].events_out, 6u);
  EXPECT_EQ(by_name["grouped"].rows_out, 6u);
  EXPECT_EQ(by_name["tumbling"].events_out, 8u);
  EXPECT_EQ(by_name["tumbling"].rows_out, 8u);  // a and b in each of four windows
  EXPECT_EQ(by_name["first"].filtered, 6u);
  EXPECT_EQ(by_name["distinct"].filtered, 6u);
  EXPECT_EQ(by_name["distinct"].rows_out, 2u);
  EXPECT_EQ(by_name["table"].dropped, 6u);  // a key already in the table
  EXPECT_EQ(by_name["join"].events_in, 12u);
  EXPECT_EQ(by_name["join"].filtered, 3u);  // S[v > 1]
  EXPECT_EQ(by_name["pattern"].events_in, 12u);
  EXPECT_GT(by_name["pattern"].rows_out, 0u);
}

// AddCallback after Start() raced with the workers that iterate the callbacks: it is refused.
TEST(AppRuntimeTest, CallbacksAreAddedBeforeStart) {
  auto app = LoadOk("@Async(workers='2') CREATE STREAM S (a INT);\nINSERT INTO O SELECT a FROM S;");
  ASSERT_TRUE(app->AddCallback("O", [](const OutputBatch&) {}).ok());
  ASSERT_TRUE(app->Start().ok());
  EXPECT_EQ(app->AddCallback("O", [](const OutputBatch&) {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(app->AddOutputCallback([](const OutputBatch&) {}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(app->Shutdown().ok());
}

TEST(AppRuntimeTest, PlaybackClockFollowsEventTime) {
  AppOptions opts;
  opts.playback = true;
  auto app = LoadOk(
      "CREATE STREAM S (a INT);\nINSERT INTO O SELECT currentTimeMillis() AS now FROM S;", opts);
  std::vector<int64_t> nows;
  app->AddCallback("O",
                   [&](const OutputBatch& out) { nows.push_back(out.batch->column(0).ints()[0]); });
  app->GetInputHandler("S")->Send(5000, {int32_t{1}});
  app->AdvanceTime(9000);
  app->GetInputHandler("S")->Send(7000, {int32_t{1}});  // late: the clock does not go back
  EXPECT_EQ(nows, (std::vector<int64_t>{5000, 9000}));
}

TEST(AppRuntimeTest, LiveClockIsInjectable) {
  ManualClock clock(42);
  AppOptions opts;
  opts.clock = &clock;
  auto app = LoadOk(
      "CREATE STREAM S (a INT);\nINSERT INTO O SELECT currentTimeMillis() AS now FROM S;", opts);
  int64_t now = 0;
  app->AddCallback("O", [&](const OutputBatch& out) { now = out.batch->column(0).ints()[0]; });
  app->GetInputHandler("S")->Send(1, {int32_t{1}});
  EXPECT_EQ(now, 42);
}

TEST(AppRuntimeTest, FileSourceToFileSinkCountsMalformedLines) {
  std::string dir = ::testing::TempDir();
  std::string in_path = dir + "/sluice_in.csv", out_path = dir + "/sluice_out.jsonl";
  {
    std::ofstream in(in_path);
    in << "price,symbol\n10.5,A\nbad,B\n3,C\n\"unterminated\n";
  }
  std::string app_text =
      "CREATE STREAM S (symbol STRING, price DOUBLE) WITH ('type'='source', 'connector'='file', "
      "'format'='csv', 'header'='true', 'path'='" +
      in_path +
      "');\n"
      "CREATE STREAM O (symbol STRING, price DOUBLE) WITH ('type'='sink', 'connector'='file', "
      "'path'='" +
      out_path +
      "');\n"
      "INSERT INTO O SELECT symbol, price FROM S WHERE price > 5;";
  AppOptions opts;
  opts.start_connectors = true;
  auto app = LoadOk(app_text, opts);
  ASSERT_TRUE(app->Start().ok());
  ASSERT_TRUE(app->WaitForSources().ok());
  ASSERT_TRUE(app->Shutdown().ok());
  std::ifstream out(out_path);
  std::stringstream ss;
  ss << out.rdbuf();
  EXPECT_EQ(ss.str(), "{\"symbol\":\"A\",\"price\":10.5}\n");
  EXPECT_EQ(app->Stats().streams[0].malformed, 2u);
  EXPECT_EQ(app->Stats().streams[0].events, 2u);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
}

// A Start() that comes while the first waits for a table's load returns when the first does,
// not before: the streams have not started yet.
TEST(AppRuntimeTest, ASecondStartWaitsForTheFirst) {
  AppOptions opts;
  opts.start_connectors = true;
  auto app = LoadOk(
      "CREATE TABLE T (k BIGINT PRIMARY KEY) WITH ('type'='source', 'connector'='generator', "
      "'rate'='1', 'table.load.timeout'='600ms');\n"
      "CREATE STREAM S (k BIGINT);\n"
      "INSERT INTO O SELECT s.k FROM S AS s JOIN T AS t ON s.k = t.k;\n",
      opts);
  ASSERT_NE(app, nullptr);
  std::thread first([&] { EXPECT_TRUE(app->Start().ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(app->Start().ok());
  // The first one's wait is over: the table was waited for as long as its timeout.
  AppStats stats = app->Stats();
  ASSERT_EQ(stats.tables.size(), 1u);
  EXPECT_TRUE(stats.tables[0].waited_out);
  first.join();
  EXPECT_TRUE(app->Shutdown().ok());
}

TEST(AppRuntimeTest, GeneratorIsDeterministicForASeed) {
  std::string app_text =
      "CREATE STREAM S (sym STRING, p DOUBLE, n BIGINT) WITH ('type'='source', "
      "'connector'='generator', 'count'='100', 'seed'='9', 'fields.sym'='choice:A,B', "
      "'fields.p'='uniform:0,10', 'fields.n'='sequence:5,2');\n"
      "INSERT INTO O SELECT sym, p, n FROM S;";
  auto collect = [&] {
    AppOptions opts;
    opts.start_connectors = true;
    auto app = LoadOk(app_text, opts);
    std::string all;
    app->AddCallback("O", [&](const OutputBatch& out) {
      for (size_t r = 0; r < out.batch->num_rows(); ++r)
        all += out.batch->column(0).GetValue(r).ToString() +
               out.batch->column(1).GetValue(r).ToString() +
               out.batch->column(2).GetValue(r).ToString() + ";";
    });
    app->Start();
    app->WaitForSources();
    app->Shutdown();
    return all;
  };
  std::string a = collect(), b = collect();
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("'A'"), std::string::npos);
  EXPECT_NE(a.find("203;"), std::string::npos);  // the sequence's 100th value: 5 + 2 * 99
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(AppRuntimeTest, GroupByOverLargeBatchesMatchesAHandWrittenLoop) {
  auto app = LoadOk(
      "CREATE STREAM S (k STRING, v BIGINT);\n"
      "INSERT INTO O SELECT k, sum(v) AS total, count() AS n FROM S GROUP BY k;");
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("K" + std::to_string(i));
  std::vector<std::string> got, want;
  app->AddCallback("O", [&](const OutputBatch& out) {
    for (size_t r = 0; r < out.batch->num_rows(); ++r)
      got.push_back(std::string(out.batch->column(0).strings()[r].view()) + "=" +
                    std::to_string(out.batch->column(1).ints()[r]) + "/" +
                    std::to_string(out.batch->column(2).ints()[r]));
  });
  InputHandler* in = app->GetInputHandler("S");
  std::map<std::string, std::pair<int64_t, int64_t>> state;
  uint64_t x = 12345;
  for (int b = 0; b < 5; ++b) {
    Batch batch(in->schema());
    for (int i = 0; i < 1024; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const std::string& k = keys[(x >> 33) % 100];
      int64_t v = static_cast<int64_t>((x >> 20) % 1000);
      size_t r = batch.AddRow(b * 1024 + i);
      batch.column(0).SetString(r, StringRef{k.data(), static_cast<uint32_t>(k.size())});
      batch.column(1).SetInt(r, v);
      auto& s = state[k];
      s.first += v;
      ++s.second;
      want.push_back(k + "=" + std::to_string(s.first) + "/" + std::to_string(s.second));
    }
    ASSERT_TRUE(in->SendBatch(batch).ok());
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], want[i]) << "row " << i;
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Live mode with an injected clock: windows close when the clock's time reaches their end, driven
// by AdvanceTime (the timer thread calls the same code), without any sleep.
TEST(AppRuntimeTest, LiveTumblingWindowClosesOnTheInjectedClock) {
  ManualClock clock(1000);
  AppOptions opts;
  opts.clock = &clock;
  auto app = LoadOk(
      "CREATE STREAM S (k STRING, v INT);\n"
      "INSERT INTO O SELECT k, sum(v) AS total FROM S WINDOW TUMBLING(1 SECOND) GROUP BY k;",
      opts);
  std::vector<std::string> rows;
  app->AddCallback("O", [&](const OutputBatch& out) {
    for (size_t r = 0; r < out.batch->num_rows(); ++r)
      rows.push_back(std::to_string(out.batch->timestamp(r)) + ":" +
                     std::string(out.batch->column(0).strings()[r].view()) + "=" +
                     std::to_string(out.batch->column(1).ints()[r]));
  });
  ASSERT_TRUE(app->Start().ok());
  InputHandler* in = app->GetInputHandler("S");
  ASSERT_TRUE(in->Send(clock.NowMillis(), {"a", int32_t{1}}).ok());
  clock.AdvanceTo(1500);
  ASSERT_TRUE(in->Send(clock.NowMillis(), {"a", int32_t{2}}).ok());
  clock.AdvanceTo(1999);
  app->AdvanceTime(clock.NowMillis());
  EXPECT_TRUE(rows.empty());  // the window [1000, 2000) is still open
  clock.AdvanceTo(2000);
  app->AdvanceTime(clock.NowMillis());
  EXPECT_EQ(rows, std::vector<std::string>{"2000:a=3"});
  app->Shutdown();
}

// Core 2: no lock shared by all streams on the send path. Sends used to stage under one app-wide
// mutex held through all downstream processing, so a callback that sent into another stream from
// inside a send waited for itself.
TEST(AppRuntimeTest, ACallbackMaySendIntoAnotherStreamFromInsideASend) {
  auto app = LoadOk(
      "CREATE STREAM A (n INT);\n"
      "CREATE STREAM B (n INT);\n"
      "INSERT INTO FromA SELECT n FROM A;\n"
      "INSERT INTO FromB SELECT n FROM B;");
  InputHandler* a = app->GetInputHandler("A");
  InputHandler* b = app->GetInputHandler("B");
  std::vector<std::string> seen;
  ASSERT_TRUE(app->AddCallback("FromA",
                               [&](const OutputBatch& out) {
                                 int32_t n = static_cast<int32_t>(out.batch->column(0).ints()[0]);
                                 seen.push_back("A" + std::to_string(n));
                                 EXPECT_TRUE(b->Send(0, {n}).ok());
                               })
                  .ok());
  ASSERT_TRUE(app->AddCallback("FromB",
                               [&](const OutputBatch& out) {
                                 seen.push_back("B" +
                                                std::to_string(out.batch->column(0).ints()[0]));
                               })
                  .ok());
  ASSERT_TRUE(app->Start().ok());
  ASSERT_TRUE(a->Send(0, {int32_t{1}}).ok());
  ASSERT_TRUE(a->Send(0, {int32_t{2}}).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"A1", "B1", "A2", "B2"}));
  EXPECT_TRUE(app->Shutdown().ok());
}

// A stream-table join locks the table once per batch, until its rows go on: what comes after it
// may write that table in the same send (here through a second query), which must not wait for
// the join's lock.
TEST(AppRuntimeTest, WhatFollowsAStreamTableJoinMayWriteItsTable) {
  auto app = LoadOk(
      "CREATE TABLE Seen (k STRING PRIMARY KEY, n BIGINT);\n"
      "CREATE STREAM S (k STRING);\n"
      "INSERT INTO Joined SELECT s.k AS k, t.n AS n FROM S AS s LEFT JOIN Seen AS t ON s.k = t.k;\n"
      "UPSERT INTO Seen SELECT k, coalesce(n, 0) + 1 AS n FROM Joined ON Seen.k = k;");
  std::vector<std::string> joined;
  ASSERT_TRUE(app->AddCallback("Joined",
                               [&](const OutputBatch& out) {
                                 for (size_t r = 0; r < out.batch->num_rows(); ++r)
                                   joined.push_back(
                                       std::string(out.batch->column(0).strings()[r].view()) + "=" +
                                       out.batch->column(1).GetValue(r).ToString());
                               })
                  .ok());
  ASSERT_TRUE(app->Start().ok());
  InputHandler* in = app->GetInputHandler("S");
  for (int round = 0; round < 2; ++round) {
    Batch b(in->schema());
    for (const char* k : {"x", "y", "x"}) b.SetString(b.AddRow(round), 0, k);
    ASSERT_TRUE(in->SendBatch(b).ok());
  }
  // A batch probes the table as it was before the batch: its rows go on together.
  EXPECT_EQ(joined, (std::vector<std::string>{"x=NULL", "y=NULL", "x=NULL", "x=1", "y=1", "x=1"}));
  EXPECT_TRUE(app->Shutdown().ok());
}

// Core 2: state size per query in Stats(); a state TTL bounds a GROUP BY over keys that go quiet.
TEST(AppRuntimeTest, StatsShowWhatEachQueryHoldsAndATtlBoundsIt) {
  AppOptions opts;
  opts.playback = true;
  auto app = LoadOk(
      "CREATE STREAM S (k STRING, v INT);\n"
      "INSERT INTO All SELECT k, count() AS n FROM S GROUP BY k;\n"
      "@state(ttl='1 s')\n"
      "INSERT INTO Recent SELECT k, count() AS n FROM S GROUP BY k;\n"
      "INSERT INTO Plain SELECT k FROM S;",
      opts);
  InputHandler* in = app->GetInputHandler("S");
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(in->Send(i, {"k" + std::to_string(i), int32_t{1}}).ok());
  AppStats before = app->Stats();
  EXPECT_EQ(before.queries[0].state_keys, 100u);
  EXPECT_EQ(before.queries[1].state_keys, 100u);
  EXPECT_GT(before.queries[0].state_bytes, 100u * 8);
  EXPECT_TRUE(before.queries[0].stateful);
  EXPECT_FALSE(before.queries[2].stateful);
  EXPECT_EQ(before.queries[2].state_keys, 0u);
  // Five seconds later one more key: the TTL'd query drops the hundred idle ones.
  ASSERT_TRUE(in->Send(5000, {std::string("z"), int32_t{1}}).ok());
  AppStats after = app->Stats();
  EXPECT_EQ(after.queries[0].state_keys, 101u);
  EXPECT_EQ(after.queries[1].state_keys, 1u);
  EXPECT_LT(after.queries[1].state_bytes, before.queries[1].state_bytes);
}

}  // namespace
}  // namespace sluice
