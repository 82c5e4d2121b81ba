#include <gtest/gtest.h>

#include "plan/plan.h"
#include "plan/type_rules.h"
#include "sql/parser.h"

namespace sluice::plan {
namespace {

struct Bound {
  std::unique_ptr<AppPlan> plan;
  std::string errors;
};

Bound BindText(const std::string& text) {
  sql::Diagnostics d;
  sql::AppAst ast = sql::Parse(text, &d);
  Bound b;
  b.plan = BindApp(ast, text, &d);
  b.errors = d.Format(text, "t.sql", /*include_warnings=*/false);
  return b;
}

// The warnings of `sluice check` about streams written and never read; "" if the app is bad.
std::string UnreadWarnings(const std::string& text, size_t* count = nullptr) {
  Bound b = BindText(text);
  if (!b.errors.empty() || !b.plan) return "";
  sql::Diagnostics w;
  WarnUnreadOutputs(*b.plan, &w);
  if (count) *count = w.all().size();
  return w.Format(text, "t.sql");
}

TEST(TypeRulesTest, NumericPromotion) {
  EXPECT_EQ(*CommonType(DataType::Int(), DataType::Bigint()), DataType::Bigint());
  EXPECT_EQ(*CommonType(DataType::Bigint(), DataType::Float()), DataType::Float());
  EXPECT_EQ(*CommonType(DataType::Float(), DataType::Double()), DataType::Double());
  EXPECT_EQ(*CommonType(DataType::Decimal(10, 2), DataType::Int()), DataType::Decimal(18, 2));
  EXPECT_EQ(*CommonType(DataType::Decimal(10, 2), DataType::Double()), DataType::Double());
  EXPECT_FALSE(CommonType(DataType::Int(), DataType::String()).has_value());
  EXPECT_EQ(*ArithmeticType(sql::BinaryOp::kDiv, DataType::Int(), DataType::Int()),
            DataType::Int());
  EXPECT_EQ(*ArithmeticType(sql::BinaryOp::kSub, DataType::Timestamp(), DataType::Timestamp()),
            DataType::Bigint());
}

TEST(TypeRulesTest, AssignmentCasts) {
  EXPECT_TRUE(CanAssign(DataType::Double(), DataType::Float()));
  EXPECT_TRUE(CanAssign(DataType::Bool(), DataType::String()));
  EXPECT_TRUE(CanAssign(DataType::String(), DataType::Bigint()));  // checked at run time
  EXPECT_FALSE(CanAssign(DataType::Bool(), DataType::Double()));
}

TEST(BinderTest, AutoDefinesInsertTargetsFromTheSelectList) {
  Bound b = BindText(
      "CREATE STREAM S (a INT, p DOUBLE);\n"
      "INSERT INTO O SELECT a, p * 2 AS p2, 'x' AS tag FROM S;");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  const StreamDef* o = b.plan->catalog.Find("O");
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(o->auto_defined);
  EXPECT_EQ(o->schema.ToString(), "(a INT, p2 DOUBLE, tag STRING)");
}

TEST(BinderTest, QueriesMayReadStreamsDefinedByLaterQueries) {
  Bound b = BindText(
      "CREATE STREAM S (a INT);\n"
      "INSERT INTO C SELECT a FROM B;\n"
      "INSERT INTO B SELECT a FROM S;");
  EXPECT_TRUE(b.errors.empty()) << b.errors;
  EXPECT_EQ(b.plan->queries.size(), 2u);
}

TEST(BinderTest, InsertByNameReordersAndByPositionConverts) {
  Bound b = BindText(
      "CREATE STREAM S (a INT, b STRING);\n"
      "CREATE STREAM T (b STRING, a BIGINT);\n"
      "CREATE STREAM U (x DOUBLE, y STRING);\n"
      "INSERT INTO T SELECT a, b FROM S;\n"
      "INSERT INTO U SELECT a, b FROM S;");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  EXPECT_TRUE(b.plan->queries[0].by_name);
  EXPECT_EQ(b.plan->queries[0].outputs[0].expr->text, "b");
  EXPECT_EQ(b.plan->queries[0].outputs[1].expr->type, DataType::Bigint());
  EXPECT_FALSE(b.plan->queries[1].by_name);
  EXPECT_EQ(b.plan->queries[1].outputs[0].expr->type, DataType::Double());
}

TEST(BinderTest, FaultStreamHasTheAttributesAndError) {
  Bound b = BindText("@onError(action='stream') CREATE STREAM S (a INT);");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  const StreamDef* f = b.plan->catalog.Find("!S");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->schema.ToString(), "(a INT, _error STRING)");
}

TEST(BinderTest, AsyncAndAppOptionsAreApplied) {
  Bound b = BindText(
      "@app:async('true')\n"
      "CREATE STREAM A (a INT);\n"
      "@Async(buffer_size='64', workers='2', backpressure='exponentialBackoff', "
      "initialDelay='5', maxDelay='50')\n"
      "CREATE STREAM B (a INT);\n"
      "@config(async='false') CREATE STREAM C (a INT);");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  EXPECT_TRUE(b.plan->catalog.Find("A")->async.enabled);
  const AsyncConfig& async = b.plan->catalog.Find("B")->async;
  EXPECT_EQ(async.buffer_size, 64);
  EXPECT_EQ(async.workers, 2);
  EXPECT_EQ(async.backpressure, Backpressure::kExponentialBackoff);
  EXPECT_EQ(async.max_delay_ms, 50);
  EXPECT_FALSE(b.plan->catalog.Find("C")->async.enabled);
}

TEST(BinderTest, JoinOnIncompatibleTypesNamesBothOperands) {
  Bound b = BindText(
      "CREATE STREAM A (id INT);\nCREATE STREAM B (symbol STRING);\n"
      "INSERT INTO J SELECT A.id FROM A JOIN B ON A.id = B.symbol;");
  EXPECT_NE(b.errors.find("cannot compare INT 'A.id' with STRING 'B.symbol'"), std::string::npos)
      << b.errors;
}

TEST(BinderTest, AmbiguousNamesInJoinsMustBeQualified) {
  Bound b = BindText(
      "CREATE STREAM A (id INT);\nCREATE STREAM B (id INT);\n"
      "INSERT INTO J SELECT id FROM A WINDOW('length', 1) JOIN B WINDOW('length', 1) ON A.id = "
      "B.id;");
  EXPECT_NE(b.errors.find("'id' is ambiguous"), std::string::npos) << b.errors;
}

TEST(BinderTest, HavingMaySeeSelectAliasesAndAggregatesBecomeColumns) {
  Bound b = BindText(
      "CREATE STREAM S (k STRING, v INT);\n"
      "INSERT INTO O SELECT k, sum(v) AS total, sum(v) * 2 AS twice FROM S GROUP BY k "
      "HAVING total > 10;");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  const QueryPlan& q = b.plan->queries[0];
  ASSERT_EQ(q.aggregates.size(), 1u);  // sum(v) once, used three times
  ASSERT_TRUE(q.having);
  // The aggregate is column 2: after k and v.
  EXPECT_EQ(q.outputs[1].expr->kind, BoundExpr::Kind::kColumn);
  EXPECT_EQ(q.outputs[1].expr->column, 2);
  EXPECT_EQ(q.outputs[1].name, "total");
  EXPECT_EQ(q.outputs[1].expr->type, DataType::Bigint());
}

TEST(BinderTest, WindowsAreValidatedAndPlanned) {
  Bound b = BindText(
      "CREATE STREAM S (k STRING, t BIGINT, v INT);\n"
      "INSERT INTO A SELECT k FROM S WINDOW('externalTime', t, 5 SECONDS);\n"
      "INSERT INTO B SELECT k FROM S WINDOW SLIDING(1 MINUTE, 10 SECONDS);\n"
      "INSERT INTO C SELECT k, count() AS n FROM S WINDOW('sort', 3, v, 'desc') GROUP BY k;");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  EXPECT_EQ(b.plan->queries[0].window->time_column, 1);
  EXPECT_EQ(b.plan->queries[1].window->slide_ms, 10000);
  EXPECT_TRUE(b.plan->queries[2].window->descending);
  EXPECT_FALSE(b.plan->queries[2].EmitsOnClose());
}

TEST(BinderTest, EmitFinalNeedsAWindowThatCloses) {
  Bound b = BindText(
      "CREATE STREAM S (k STRING);\n"
      "INSERT INTO O SELECT k, count() AS n FROM S WINDOW('length', 5) GROUP BY k EMIT FINAL;");
  EXPECT_NE(b.errors.find("EMIT FINAL needs a window that closes"), std::string::npos) << b.errors;
}

}  // namespace
}  // namespace sluice::plan

namespace sluice::plan {
namespace {

TEST(BinderTest, ALoopMustPassThroughAnAsyncStream) {
  const std::string loop =
      "CREATE STREAM A (x INT);\n"
      "INSERT INTO B SELECT x FROM A WHERE x > 0;\n"
      "INSERT INTO A SELECT x - 1 AS x FROM B;\n";
  Bound sync = BindText(loop);
  EXPECT_NE(sync.errors.find("t.sql:3:1: error: queries form a synchronous loop: A -> B -> A"),
            std::string::npos)
      << sync.errors;
  EXPECT_NE(sync.errors.find("make a stream on the loop @Async"), std::string::npos);
  EXPECT_EQ(BindText("@Async " + loop).errors, "");
  // A fault-stream edge closes a loop too.
  Bound fault = BindText(
      "@OnError(action='stream') CREATE STREAM T (x INT);\n"
      "INSERT INTO U SELECT 10 / x AS x FROM T;\n"
      "INSERT INTO T SELECT x + 1 AS x FROM !T;\n");
  EXPECT_NE(fault.errors.find("synchronous loop: T -> !T -> T"), std::string::npos) << fault.errors;
}

TEST(BinderTest, LongOrChainsBindInLinearTime) {
  // 10,000 ORs took quadratic time (and 100,000 overflowed the stack) when chains were binary.
  std::string text = "CREATE STREAM S (a INT);\nINSERT INTO O SELECT a FROM S WHERE a = 0";
  for (int i = 1; i < 10000; ++i) text += " OR a = " + std::to_string(i);
  Bound b = BindText(text + ";");
  ASSERT_TRUE(b.errors.empty()) << b.errors;
  const BoundExpr& f = *b.plan->queries[0].filter;
  EXPECT_EQ(f.kind, BoundExpr::Kind::kOr);
  EXPECT_EQ(f.args.size(), 10000u);
}

TEST(BinderTest, AMisspeltInsertTargetWarnsAtCheck) {
  std::string text =
      "CREATE STREAM S (a INT);\n"
      "CREATE STREAM Alerts (a INT) WITH ('type'='sink', 'connector'='stdout');\n"
      "INSERT INTO Alrts SELECT a FROM S;\n"
      "INSERT INTO Used SELECT a FROM S;\n"
      "INSERT INTO Alerts SELECT a FROM Used;\n";
  size_t count = 0;
  std::string out = UnreadWarnings(text, &count);
  EXPECT_NE(out.find("t.sql:3:13: warning: stream 'Alrts' is written but never read"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("did you mean 'Alerts'?"), std::string::npos) << out;
  EXPECT_EQ(out.find("'Used'"), std::string::npos) << out;  // read by a query
  EXPECT_EQ(count, 1u) << out;
}

TEST(BinderTest, ATableLoadedFromASourceBindsAndATableSinkIsRejectedAtItsLine) {
  Bound ok = BindText(
      "CREATE TABLE T (k STRING PRIMARY KEY, v INT)\n"
      "  WITH ('type'='source', 'connector'='file', 'path'='t.jsonl', "
      "'table.load.timeout'='5s');\n");
  EXPECT_TRUE(ok.errors.empty()) << ok.errors;
  ASSERT_NE(ok.plan, nullptr);
  EXPECT_EQ(ok.plan->catalog.Find("T")->load_timeout_ms, 5000);
  Bound b = BindText(
      "CREATE TABLE T (k STRING PRIMARY KEY, v INT)\n"
      "  WITH ('type'='sink', 'connector'='file', 'path'='t.jsonl');\n");
  EXPECT_NE(b.errors.find("t.sql:2:24: error: not supported yet: a table written to connector "
                          "'file'"),
            std::string::npos)
      << b.errors;
}

// Option durations: a bare number is milliseconds; s, m, h, d and the SQL unit words.
TEST(BinderTest, OptionDurationsTakeTheirUnits) {
  int64_t ms = 0;
  EXPECT_TRUE(plan::ParseDurationText("1500", &ms));
  EXPECT_EQ(ms, 1500);
  EXPECT_TRUE(plan::ParseDurationText("1d", &ms));
  EXPECT_EQ(ms, 86'400'000);
  EXPECT_TRUE(plan::ParseDurationText("2 h", &ms));
  EXPECT_EQ(ms, 7'200'000);
  EXPECT_TRUE(plan::ParseDurationText("1 day", &ms));
  EXPECT_EQ(ms, 86'400'000);
  EXPECT_TRUE(plan::ParseDurationText("250ms", &ms));
  EXPECT_EQ(ms, 250);
  EXPECT_FALSE(plan::ParseDurationText("soon", &ms));
  EXPECT_FALSE(plan::ParseDurationText("1 fortnight", &ms));
  EXPECT_FALSE(plan::ParseDurationText("99999999999999999999s", &ms));  // past BIGINT
}

// The seed's degradation strategies, per join (Velostream's TableMissingDataStrategy).
TEST(BinderTest, AKafkaTablesKeyFieldIsItsPrimaryKey) {
  Bound b = BindText(
      "CREATE TABLE T (k STRING PRIMARY KEY, v STRING)\n"
      "  WITH ('type'='source', 'connector'='kafka', 'topic'='t', 'key.field'='v');\n");
  EXPECT_NE(b.errors.find("t.sql:2:72: error: 'key.field' of a table must be its PRIMARY KEY"),
            std::string::npos)
      << b.errors;
}

TEST(BinderTest, JoinMissingRowStrategies) {
  const std::string defs =
      "CREATE TABLE T (k STRING PRIMARY KEY, v INT, name STRING);\n"
      "CREATE STREAM S (k STRING);\n";
  Bound b = BindText(defs +
                     "@join(missing='UseDefaults', default_v='7', default_name='none')\n"
                     "INSERT INTO O SELECT S.k, T.v FROM S JOIN T ON S.k = T.k;\n"
                     "@join(missing='retry', retries='5', delay='50 ms')\n"
                     "INSERT INTO P SELECT S.k, T.v FROM S JOIN T ON S.k = T.k;\n");
  EXPECT_TRUE(b.errors.empty()) << b.errors;
  ASSERT_NE(b.plan, nullptr);
  const plan::MissingRowPlan& d = b.plan->queries[0].join->missing;
  EXPECT_EQ(d.action, plan::MissingRow::kDefaults);
  ASSERT_EQ(d.defaults.size(), 2u);
  EXPECT_EQ(d.defaults[0], (std::pair<int, std::string>{1, "7"}));
  const plan::MissingRowPlan& r = b.plan->queries[1].join->missing;
  EXPECT_EQ(r.action, plan::MissingRow::kRetry);
  EXPECT_EQ(r.retries, 5);
  EXPECT_EQ(r.delay_ms, 50);

  Bound bad = BindText(defs +
                       "@join(missing='later')\n"
                       "INSERT INTO O SELECT S.k, T.v FROM S JOIN T ON S.k = T.k;\n"
                       "@join(missing='defaults', default_v='seven', default_nme='x')\n"
                       "INSERT INTO P SELECT S.k, T.v FROM S JOIN T ON S.k = T.k;\n"
                       "@join(missing='skip', retries='2')\n"
                       "INSERT INTO Q SELECT S.k, T.v FROM S JOIN T ON S.k = T.k;\n"
                       "@join(missing='nulls')\n"
                       "INSERT INTO R SELECT k FROM S;\n"
                       "@join(missing='skip', missing='nulls') @join('skip')\n"
                       "INSERT INTO U SELECT S.k, T.v FROM S JOIN T ON S.k = T.k;\n");
  for (const char* want :
       {"t.sql:3:7: error: @join(missing) must be 'skip', 'nulls', 'defaults', 'retry' or 'fail', "
        "got 'later'",
        "t.sql:5:27: error: 'default_v': 'seven' is not a value of INT",
        "t.sql:5:46: error: 'default_nme': 'nme' is not an attribute of table 'T'",
        "t.sql:7:23: error: 'retries' is for @join(missing='retry')",
        "t.sql:9:1: error: @join is for a query that joins a stream with a table",
        "t.sql:11:23: error: option 'missing' is given twice in @join",
        "t.sql:11:40: error: a query takes one @join: put its options together"})
    EXPECT_NE(bad.errors.find(want), std::string::npos) << want << "\n" << bad.errors;
}

TEST(BinderTest, WindowBoundsNeedAWindowThatCloses) {
  Bound b = BindText(
      "CREATE STREAM S (k STRING);\n"
      "INSERT INTO O SELECT k, count() AS n, window_start FROM S WINDOW('length', 5) GROUP BY k;\n"
      "INSERT INTO P SELECT k FROM S WINDOW TUMBLING(1 SECOND) WHERE window_end > 0;\n"
      // Without aggregates a tumbling window emits its events, whose times are not its bounds.
      "INSERT INTO Q SELECT k, window_start FROM S WINDOW TUMBLING(1 SECOND);\n");
  EXPECT_NE(b.errors.find("t.sql:2:39: error: window_start is defined for the windows that close"),
            std::string::npos)
      << b.errors;
  EXPECT_NE(b.errors.find("t.sql:3:63: error: window_end is the bound of a window"),
            std::string::npos)
      << b.errors;
  EXPECT_NE(b.errors.find("t.sql:4:25: error: window_start is the bound of the window that "
                          "produced an aggregate row; this query does not aggregate"),
            std::string::npos)
      << b.errors;
}

TEST(BinderTest, AnUnreadTargetIsNotTakenForItsOwnInput) {
  // 'BigTrades' reads Trades: Trades is not what the user meant to write.
  std::string text =
      "CREATE STREAM Trades (p DOUBLE);\n"
      "CREATE STREAM BigTrade (p DOUBLE) WITH ('type'='sink', 'connector'='stdout');\n"
      "INSERT INTO BigTrades SELECT p FROM Trades WHERE p > 10;\n";
  std::string out = UnreadWarnings(text);
  EXPECT_NE(out.find("did you mean 'BigTrade'?"), std::string::npos) << out;
  EXPECT_EQ(out.find("'Trades'?"), std::string::npos) << out;
}

TEST(BinderTest, StateLimitsComeFromSetAndFromAQuerysOwnAnnotation) {
  Bound b = BindText(
      "SET 'state.ttl' = '1 hour';\n"
      "CREATE STREAM S (k STRING, v INT);\n"
      "INSERT INTO A SELECT k, count() AS n FROM S GROUP BY k;\n"
      "@state(ttl='5 min', max_keys='100')\n"
      "INSERT INTO B SELECT k, count() AS n FROM S GROUP BY k;");
  ASSERT_EQ(b.errors, "");
  EXPECT_EQ(b.plan->queries[0].state.ttl_ms, 3600000);
  EXPECT_EQ(b.plan->queries[0].state.max_keys, 0);
  EXPECT_EQ(b.plan->queries[1].state.ttl_ms, 300000);
  EXPECT_EQ(b.plan->queries[1].state.max_keys, 100);
  std::string errors = BindText(
                           "SET 'state.tll' = '1 hour';\n"
                           "SET 'state.ttl' = 'soon';\n"
                           "CREATE STREAM S (k STRING);\n"
                           "@state(ttl='0', max_key='5')\n"
                           "INSERT INTO A SELECT DISTINCT k FROM S;")
                           .errors;
  EXPECT_NE(errors.find("t.sql:1:5: error: unknown setting 'state.tll'"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("did you mean 'state.ttl'?"), std::string::npos) << errors;
  EXPECT_NE(errors.find("t.sql:2:19: error: SET 'state.ttl' needs a duration"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("@state(ttl) needs a duration"), std::string::npos) << errors;
  EXPECT_NE(errors.find("unknown option 'max_key' in @state"), std::string::npos) << errors;
}

}  // namespace
}  // namespace sluice::plan
