#include "exec/expression.h"

#include <gtest/gtest.h>

#include "plan/plan.h"
#include "sql/parser.h"

namespace sluice::exec {
namespace {

// Compiles `expr` against a stream of `schema` by planning a one-query app around it.
class ExpressionTest : public ::testing::Test {
 protected:
  void Build(const std::string& columns, const std::string& expr) {
    app_ = "CREATE STREAM S (" + columns + ");\nINSERT INTO O SELECT " + expr + " AS v FROM S;";
    sql::AppAst ast = sql::Parse(app_, &diags_);
    plan_ = plan::BindApp(ast, app_, &diags_);
    ASSERT_FALSE(diags_.has_errors()) << diags_.Format(app_, "t.sql");
    auto compiled = Compile(*plan_->queries[0].outputs[0].expr);
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    expr_ = std::move(compiled).value();
    batch_.Reset(plan_->queries[0].input->schema);
  }
  void Row(std::initializer_list<Value> values) {
    size_t r = batch_.AddRow(static_cast<int64_t>(batch_.num_rows()));
    size_t c = 0;
    for (const Value& v : values) ASSERT_TRUE(batch_.SetValue(r, c++, v));
  }
  std::vector<Value> Eval(Selection sel) {
    ctx_.Reset(batch_.num_rows());
    const Column& out = expr_->Eval(ctx_, batch_, sel);
    std::vector<Value> r;
    for (size_t i = 0; i < sel.size; ++i) r.push_back(out.GetValue(i));
    return r;
  }
  std::vector<Value> EvalAll() { return Eval(Selection::All(batch_.num_rows())); }

  std::string app_;
  sql::Diagnostics diags_;
  std::unique_ptr<plan::AppPlan> plan_;
  std::unique_ptr<VecExpr> expr_;
  Batch batch_;
  EvalContext ctx_;
};

TEST_F(ExpressionTest, EvaluatesOnlySelectedRowsDenselyInOrder) {
  Build("a INT", "a * 10");
  Row({int32_t{1}});
  Row({int32_t{2}});
  Row({int32_t{3}});
  uint32_t rows[] = {2, 0};
  std::vector<Value> r = Eval(Selection{rows, 2});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], Value(int32_t{30}));
  EXPECT_EQ(r[1], Value(int32_t{10}));
}

TEST_F(ExpressionTest, AndDoesNotEvaluateRightSideWhereLeftIsFalse) {
  Build("a INT, b INT", "b <> 0 AND a / b > 1");
  Row({int32_t{10}, int32_t{0}});
  Row({int32_t{10}, int32_t{2}});
  std::vector<Value> r = EvalAll();
  EXPECT_EQ(r[0], Value(false));
  EXPECT_EQ(r[1], Value(true));
  EXPECT_FALSE(ctx_.has_errors());  // no division by zero was attempted
}

TEST_F(ExpressionTest, ErrorsAreRecordedAgainstInputRows) {
  Build("a INT, b INT", "a / b");
  Row({int32_t{1}, int32_t{1}});
  Row({int32_t{1}, int32_t{0}});
  Row({int32_t{4}, int32_t{0}});
  uint32_t rows[] = {1, 2};
  std::vector<Value> r = Eval(Selection{rows, 2});
  EXPECT_TRUE(r[0].is_null());
  EXPECT_TRUE(ctx_.RowFailed(1));
  EXPECT_TRUE(ctx_.RowFailed(2));
  EXPECT_FALSE(ctx_.RowFailed(0));
  EXPECT_EQ(ctx_.errors()[0].second, "division by zero");
}

TEST_F(ExpressionTest, ConstantSubtreesAreFoldedOnce) {
  Build("a INT", "a + (2 * 3 + length('abc'))");
  Row({int32_t{1}});
  EXPECT_EQ(EvalAll()[0], Value(int32_t{10}));
}

TEST_F(ExpressionTest, CaseBranchesSeeOnlyTheirRows) {
  Build("a INT", "CASE WHEN a = 0 THEN -1 ELSE 100 / a END");
  Row({int32_t{0}});
  Row({int32_t{4}});
  std::vector<Value> r = EvalAll();
  EXPECT_EQ(r[0], Value(int32_t{-1}));
  EXPECT_EQ(r[1], Value(int32_t{25}));
  EXPECT_FALSE(ctx_.has_errors());
}

TEST_F(ExpressionTest, InWithConstantListUsesNullSemantics) {
  Build("s STRING", "s IN ('a', 'b', NULL)");
  Row({"a"});
  Row({"z"});
  Row({Value()});
  std::vector<Value> r = EvalAll();
  EXPECT_EQ(r[0], Value(true));
  EXPECT_TRUE(r[1].is_null());
  EXPECT_TRUE(r[2].is_null());
}

TEST_F(ExpressionTest, DecimalArithmeticIsExact) {
  Build("p DECIMAL(10,2)", "p * 3 - 0.01");
  Row({Value::Decimal(1999, 2)});
  EXPECT_EQ(EvalAll()[0], Value::Decimal(5996, 2));
}

TEST(LikeMatchTest, WildcardsAndEscapes) {
  EXPECT_TRUE(LikeMatch("abc", "a%"));
  EXPECT_TRUE(LikeMatch("abc", "%c"));
  EXPECT_TRUE(LikeMatch("abc", "_b_"));
  EXPECT_TRUE(LikeMatch("abc", "%"));
  EXPECT_TRUE(LikeMatch("", "%"));
  EXPECT_FALSE(LikeMatch("", "_"));
  EXPECT_TRUE(LikeMatch("a%c", "a\\%c"));
  EXPECT_FALSE(LikeMatch("abc", "a\\%c"));
  EXPECT_TRUE(LikeMatch("mississippi", "%iss%ppi"));
  EXPECT_FALSE(LikeMatch("mississippi", "%iss%ppx"));
  EXPECT_TRUE(LikeMatch("aaa", "%a%a%a%"));
}

}  // namespace
}  // namespace sluice::exec
