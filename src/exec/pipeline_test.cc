// The physical planning step's choices: which queries can run as one instance per async worker.
#include "exec/pipeline.h"

#include <gtest/gtest.h>

#include "exec/stateful_query_op.h"
#include "plan/plan.h"
#include "sql/parser.h"

namespace sluice::exec {
namespace {

std::unique_ptr<plan::AppPlan> BindOk(const std::string& text) {
  sql::Diagnostics d;
  sql::AppAst ast = sql::Parse(text, &d);
  std::unique_ptr<plan::AppPlan> plan = plan::BindApp(ast, text, &d);
  EXPECT_FALSE(d.has_errors()) << d.Format(text, "t.sql");
  return plan;
}

// Whether the last query of `queries`, over S (k STRING, g STRING, v INT, t BIGINT), can be
// partitioned by S.k.
bool PartitionableByK(const std::string& queries, const std::string& with = "") {
  std::string text = "CREATE STREAM S (k STRING, g STRING, v INT, t BIGINT)" + with + ";\n" +
                     "CREATE STREAM Q (k STRING, v INT);\n" + queries;
  sql::Diagnostics d;
  sql::AppAst ast = sql::Parse(text, &d);
  std::unique_ptr<plan::AppPlan> plan = plan::BindApp(ast, text, &d);
  EXPECT_FALSE(d.has_errors()) << d.Format(text, "t.sql");
  if (!plan || plan->queries.empty()) return false;
  return Partitionable(plan->queries.back(), /*partition_column=*/0);
}

TEST(PartitionableTest, QueriesWithoutStateAlwaysAre) {
  EXPECT_TRUE(PartitionableByK("INSERT INTO O SELECT k, v * 2 AS w FROM S WHERE v > 1;"));
}

TEST(PartitionableTest, GroupByThePartitionKeyIs) {
  EXPECT_TRUE(PartitionableByK("INSERT INTO O SELECT k, sum(v) AS s FROM S GROUP BY k;"));
  EXPECT_TRUE(PartitionableByK("INSERT INTO O SELECT k, g, count() AS n FROM S GROUP BY g, k;"));
  // A group spans keys that live on different workers.
  EXPECT_FALSE(PartitionableByK("INSERT INTO O SELECT g, sum(v) AS s FROM S GROUP BY g;"));
  EXPECT_FALSE(PartitionableByK("INSERT INTO O SELECT count() AS n FROM S;"));
}

TEST(PartitionableTest, OnlyWindowsThatKeepTimeAlikeInEveryInstance) {
  // Epoch-aligned and per-key windows on the clock: every instance closes them at the same time.
  EXPECT_TRUE(PartitionableByK(
      "INSERT INTO O SELECT k, sum(v) AS s FROM S WINDOW TUMBLING(1 SECOND) GROUP BY k;"));
  EXPECT_TRUE(PartitionableByK(
      "INSERT INTO O SELECT k, sum(v) AS s FROM S WINDOW SESSION(5 SECONDS) GROUP BY k;"));
  // A length window holds the last events of every key together.
  EXPECT_FALSE(PartitionableByK(
      "INSERT INTO O SELECT k, sum(v) AS s FROM S WINDOW('length', 10) GROUP BY k;"));
  // Siddhi's timeBatch starts at the first event, which differs between instances.
  EXPECT_FALSE(PartitionableByK(
      "INSERT INTO O SELECT k, sum(v) AS s FROM S WINDOW('timeBatch', 1 SECOND) GROUP BY k;"));
  // In event time an instance's clock moves only with its own events.
  EXPECT_FALSE(
      PartitionableByK("INSERT INTO O SELECT k, sum(v) AS s FROM S WINDOW TUMBLING(1 SECOND) "
                       "GROUP BY k;",
                       " WITH ('event.time.field'='t')"));
}

TEST(PartitionableTest, WhatOrdersOrLimitsTheWholeStreamIsNot) {
  EXPECT_FALSE(PartitionableByK("INSERT INTO O SELECT DISTINCT k FROM S;"));
  EXPECT_FALSE(PartitionableByK(
      "INSERT INTO O SELECT k, sum(v) AS s FROM S GROUP BY k OUTPUT LAST EVERY 5 EVENTS;"));
  EXPECT_FALSE(PartitionableByK(
      "INSERT INTO O SELECT k, sum(v) AS s FROM S WINDOW TUMBLING(1 SECOND) GROUP BY k "
      "ORDER BY s DESC LIMIT 3;"));
  EXPECT_FALSE(PartitionableByK(
      "INSERT INTO O SELECT a.k AS k, b.v AS v FROM S WINDOW('length', 5) AS a JOIN Q "
      "WINDOW('length', 5) AS b ON a.k = b.k;"));
}

// The physical planning step picks where a stateful query's events live (Core 2: not the
// operator's constructor).
TEST(ChooseStatefulPathTest, EachShapeGetsItsPath) {
  auto plan = BindOk(
      "CREATE STREAM S (k STRING, v INT);\n"
      "INSERT INTO A SELECT k, sum(v) AS s FROM S GROUP BY k;\n"
      "INSERT INTO B SELECT k, avg(v) AS a FROM S WINDOW('length', 10) GROUP BY k;\n"
      "INSERT INTO C SELECT k, count() AS n FROM S WINDOW TUMBLING(1 SECOND) GROUP BY k;\n"
      "INSERT INTO D SELECT k, count() AS n FROM S WINDOW SESSION(5 SECONDS) GROUP BY k;\n"
      "INSERT INTO E SELECT k, last(k) AS l FROM S GROUP BY k;\n"
      "@state(ttl='1 min')\n"
      "INSERT INTO F SELECT k, sum(v) AS s FROM S GROUP BY k;");
  ASSERT_TRUE(plan);
  using K = StatefulPath::Kind;
  std::vector<StatefulPath> paths;
  for (const plan::QueryPlan& q : plan->queries) paths.push_back(ChooseStatefulPath(q));
  EXPECT_EQ(paths[0].kind, K::kRing);
  EXPECT_EQ(paths[0].ring_length, 0);
  EXPECT_EQ(paths[1].kind, K::kRing);
  EXPECT_EQ(paths[1].ring_length, 10);
  EXPECT_EQ(paths[2].kind, K::kBatch);
  EXPECT_EQ(paths[3].kind, K::kGeneral);
  EXPECT_EQ(paths[4].kind, K::kGeneral);  // a string argument: the ring keeps fixed widths
  EXPECT_EQ(paths[5].kind, K::kGeneral);  // a TTL restarts groups between two of their events
}

}  // namespace
}  // namespace sluice::exec
