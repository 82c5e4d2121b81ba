#include "runtime/statements.h"

#include <gtest/gtest.h>

#include "server/result_text.h"

namespace sluice::runtime {
namespace {

class StatementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = AppRuntime::Load(
        "CREATE STREAM Orders (id INT, customer STRING, amount DOUBLE);\n"
        "@info(name='Big') INSERT INTO BigOrders SELECT id, amount FROM Orders WHERE amount > "
        "100;\n"
        "CREATE TABLE Totals AS SELECT customer, sum(amount) AS total, count() AS orders FROM "
        "Orders GROUP BY customer;\n"
        "CREATE TABLE Pairs (a INT, b STRING, v DOUBLE, PRIMARY KEY (a, b));\n"
        "INSERT INTO Pairs SELECT id AS a, customer AS b, amount AS v FROM Orders;\n");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    app_ = std::move(loaded).value();
    ASSERT_TRUE(app_->Start().ok());
    InputHandler* in = app_->GetInputHandler("Orders");
    ASSERT_TRUE(in->Send(1, {int32_t{1}, "ann", 250.0}).ok());
    ASSERT_TRUE(in->Send(2, {int32_t{2}, "bob", 20.0}).ok());
    ASSERT_TRUE(in->Send(3, {int32_t{3}, "ann", 120.0}).ok());
  }
  void TearDown() override { app_->Shutdown(); }

  std::string Table(const std::string& statement) {
    Result<StatementResult> r = app_->Execute(statement);
    if (!r.ok()) return "ERROR " + r.status().message();
    return server::ResultTable(*r);
  }
  std::string Error(const std::string& statement) {
    Result<StatementResult> r = app_->Execute(statement);
    return r.ok() ? "no error" : r.status().message();
  }

  std::unique_ptr<AppRuntime> app_;
};

TEST_F(StatementsTest, ShowsWhatTheAppIsMadeOf) {
  EXPECT_EQ(
      Table("SHOW TABLES;"),
      " name   | key      | columns                                        | connector | rows\n"
      "--------+----------+------------------------------------------------+-----------+----"
      "--\n"
      " Pairs  | a, b     | (a INT, b STRING, v DOUBLE)                    | NULL      | 3\n"
      " Totals | customer | (customer STRING, total DOUBLE, orders BIGINT) | NULL      | 2\n"
      "(2 rows)\n");
}

TEST_F(StatementsTest, ShowsQueriesStreamsAndDescribesOne) {
  std::string queries = Table("show queries");
  EXPECT_NE(queries.find(" Big                | Big    | Orders | BigOrders | 3         | 2 "),
            std::string::npos)
      << queries;
  EXPECT_NE(queries.find("(3 rows)"), std::string::npos) << queries;
  std::string streams = Table("SHOW STREAMS");
  EXPECT_NE(streams.find(" Orders    | stream |"), std::string::npos) << streams;
  EXPECT_EQ(streams.find("Totals"), std::string::npos) << streams;
  EXPECT_EQ(Table("DESCRIBE Pairs"),
            " column | type   | key   | event_time\n"
            "--------+--------+-------+------------\n"
            " a      | INT    | true  | false\n"
            " b      | STRING | true  | false\n"
            " v      | DOUBLE | false | false\n"
            "(3 rows)\n"
            "table Pairs (<app>:4:14)\n");
}

TEST_F(StatementsTest, ExplainsAQueryAndAnalyzesItWithItsNumbers) {
  std::string plan = Table("EXPLAIN Big");
  EXPECT_NE(plan.find("query Big (line 2): "), std::string::npos) << plan;
  EXPECT_NE(plan.find("  Filter (amount > 100)\n"), std::string::npos) << plan;
  EXPECT_NE(plan.find("  Pipeline Big/0:select"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Events in"), std::string::npos) << plan;
  std::string analyzed = Table("EXPLAIN ANALYZE Totals");
  EXPECT_NE(analyzed.find("  Events in 3: taken 3, filtered 0, faulted 0, dropped 0 (late 0)\n"),
            std::string::npos)
      << analyzed;
  EXPECT_NE(analyzed.find("  State 2 keys, about "), std::string::npos) << analyzed;
}

TEST_F(StatementsTest, PullQueriesSelectRowsByKeyAndByAnyCondition) {
  EXPECT_EQ(Table("SELECT * FROM Totals WHERE customer = 'ann'"),
            " customer | total | orders\n"
            "----------+-------+--------\n"
            " ann      | 370.0 | 2\n"
            "(1 row)\n");
  // The whole composite key, in either order, with more conditions beside it.
  EXPECT_EQ(Table("SELECT v FROM Pairs p WHERE p.b = 'ann' AND a = 3 AND v > 0"),
            " v\n"
            "-------\n"
            " 120.0\n"
            "(1 row)\n");
  EXPECT_EQ(Table("SELECT v FROM Pairs WHERE b = 'ann' AND a = 3 AND v > 1000"),
            " v\n---\n(0 rows)\n");
  EXPECT_EQ(Table("SELECT a, upper(b) AS who FROM Pairs WHERE v < 200\nLIMIT 1;"),
            " a | who\n"
            "---+-----\n"
            " 2 | BOB\n"
            "(1 row)\n");
  EXPECT_EQ(Table("SELECT customer FROM Totals WHERE customer = 'nobody'"),
            " customer\n----------\n(0 rows)\n");
  // A key compared with a value of another type is refused, as in any query.
  EXPECT_NE(Table("SELECT v FROM Pairs WHERE a = 'x' AND b = 'ann'").find("ERROR <statement>:1:"),
            std::string::npos);
  // Columns count characters: text before LIMIT may be any UTF-8.
  EXPECT_EQ(Table("SELECT b FROM Pairs WHERE b <> 'Zürich – ümlaut' LIMIT 1"),
            " b\n-----\n ann\n(1 row)\n");
  EXPECT_EQ(Table("SELECT*FROM Pairs WHERE a = 2 -- the second\n"),
            " a | b   | v\n---+-----+------\n 2 | bob | 20.0\n(1 row)\n");
}

TEST_F(StatementsTest, BadStatementsSayWhatIsWrongWhere) {
  EXPECT_EQ(Error("SHOW STREEMS"),
            "<statement>:1:6: error: SHOW takes STREAMS, TABLES, QUERIES, SOURCES or SINKS, not "
            "'STREEMS'\n  SHOW STREEMS\n       ^~~~~~~\n  did you mean 'STREAMS'?\n1 error");
  EXPECT_NE(Error("SELECT * FROM Orders").find("'Orders' is a stream: a pull query reads a table"),
            std::string::npos);
  EXPECT_NE(Error("SELECT * FROM Totalz").find("did you mean 'Totals'?"), std::string::npos);
  std::string two_lines = Error("SELECT customer,\n  totl FROM Totals");
  EXPECT_EQ(two_lines.rfind("<statement>:2:3: error: unknown attribute 'totl'", 0), 0u)
      << two_lines;
  EXPECT_NE(Error("SELECT sum(total) AS s FROM Totals").find("keep its aggregates up to date"),
            std::string::npos);
  EXPECT_NE(Error("SELECT count() FROM Totals").find("since the result is defined"),
            std::string::npos)
      << Error("SELECT count() FROM Totals");
  EXPECT_NE(Error("SELECT * FROM Totals LIMIT 'x'").find("LIMIT takes a count"), std::string::npos);
  EXPECT_NE(Error("INSERT INTO X SELECT * FROM Totals").find("expected SHOW, DESCRIBE"),
            std::string::npos);
  EXPECT_NE(Error("SELECT * FROM Totals INSERT INTO X").find("it has no INSERT INTO"),
            std::string::npos)
      << Error("SELECT * FROM Totals INSERT INTO X");
  EXPECT_NE(Error("EXPLAIN Bigg").find("did you mean 'Big'?"), std::string::npos);
  EXPECT_NE(Error("EXPLAIN ANALYZE").find("EXPLAIN ANALYZE takes a query's id or name"),
            std::string::npos);
  EXPECT_EQ(Table("SHOW SINKS -- none here"),
            " stream | connector | where | written | failed | breaker\n"
            "--------+-----------+-------+---------+--------+---------\n(0 rows)\n");
  EXPECT_NE(Table("DESCRIBE `Pairs`").find("table Pairs"), std::string::npos);
  EXPECT_NE(Error("DESCRIBE").find("DESCRIBE takes one stream or table name"), std::string::npos);
  EXPECT_EQ(Error("  ;  ").rfind("an empty statement", 0), 0u);
  EXPECT_NE(Error("SELECT * FROM Totals; SELECT * FROM Totals").find("one statement at a time"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::runtime
