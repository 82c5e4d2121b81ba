#include "plan/stream_graph.h"

#include <gtest/gtest.h>

#include "sql/parser.h"

namespace sluice::plan {
namespace {

std::unique_ptr<AppPlan> Plan(const std::string& text) {
  sql::Diagnostics d;
  sql::AppAst ast = sql::Parse(text, &d);
  std::unique_ptr<AppPlan> plan = BindApp(ast, text, &d);
  EXPECT_FALSE(d.has_errors()) << d.Format(text, "t.sql");
  return plan;
}

std::string Describe(const StreamGraph& graph) {
  std::string s;
  for (const auto& component : graph.Components()) {
    s += graph.IsLoop(component) ? "(" : "[";
    for (size_t i = 0; i < component.size(); ++i) s += (i ? " " : "") + component[i]->name;
    s += graph.IsLoop(component) ? ") " : "] ";
  }
  return s;
}

TEST(StreamGraphTest, ComponentsComeUpstreamFirstWithLoopsTogether) {
  auto plan = Plan(
      "CREATE STREAM Out (x INT);\n"
      "@Async CREATE STREAM B (x INT);\n"
      "@Async CREATE STREAM A (x INT);\n"
      "CREATE STREAM Src (x INT);\n"
      "INSERT INTO Mid SELECT x FROM B;\n"
      "INSERT INTO A SELECT x FROM Mid WHERE x > 0;\n"
      "INSERT INTO B SELECT x - 1 AS x FROM A;\n"
      "INSERT INTO A SELECT x FROM Src;\n"
      "INSERT INTO Out SELECT x FROM A WHERE x = 0;\n");
  ASSERT_TRUE(plan);
  EXPECT_EQ(Describe(StreamGraph(*plan)), "[Src] (B A Mid) [Out] ");
}

TEST(StreamGraphTest, ASelfLoopAndAFaultStreamEdgeAreLoops) {
  auto plan = Plan(
      "@Async CREATE STREAM S (x INT);\n"
      "INSERT INTO S SELECT x - 1 AS x FROM S WHERE x > 0;\n"
      "@Async @OnError(action='stream') CREATE STREAM T (x INT);\n"
      "INSERT INTO U SELECT 10 / x AS x FROM T;\n"
      "INSERT INTO T SELECT x + 1 AS x FROM !T;\n");
  ASSERT_TRUE(plan);
  EXPECT_EQ(Describe(StreamGraph(*plan)), "(T !T) [U] (S) ");
}

}  // namespace
}  // namespace sluice::plan
