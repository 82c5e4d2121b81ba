// The PostgreSQL sink and source through the CLI against a real PostgreSQL
// (tests/postgres_server.h). The sink: an upsert table from a running aggregate (+U updates the
// row), deletes from expired events, an append table with NULLs, bad configuration, a missing
// table, and an outage: the server is stopped midway and started again, and every row reaches
// it. The source: a table loaded from a PostgreSQL table and kept up to date by polling a column
// (booleans, timestamps, an empty string and NULLs as they are), a stream read once from a query,
// and a source whose table does not exist.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "postgres_server.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::PostgresServer;
using sluice::testing::RunIn;

namespace {

// One server for the suite: initdb takes a second.
PostgresServer* g_pg = nullptr;

class PostgresSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_pg = new PostgresServer();
    start_error_ = g_pg->Start();
  }
  static void TearDownTestSuite() {
    delete g_pg;
    g_pg = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(start_error_, "");
    dir_ = sluice::testing::FreshTestDir("sluice_pg_e2e");
    std::ofstream(dir_ / "users.jsonl") << R"({"id":1,"name":"ann","score":10}
{"id":2,"name":"bob","score":5}
{"id":1,"name":"ann","score":7}
{"id":3,"name":"cy","score":1}
{"id":4,"name":"bob"}
)";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void App(std::string sql) {
    for (size_t at; (at = sql.find("URL")) != std::string::npos;) sql.replace(at, 3, g_pg->url());
    std::ofstream(dir_ / "app.sql") << sql;
  }
  static std::string Sql(const std::string& q) { return g_pg->Query(q); }

  static std::string start_error_;
  fs::path dir_;
};

std::string PostgresSinkTest::start_error_;

TEST_F(PostgresSinkTest, UpsertsDeletesAndAppends) {
  ASSERT_EQ(Sql("CREATE TABLE totals (name TEXT PRIMARY KEY, total BIGINT);"
                "CREATE TABLE recent (id INT PRIMARY KEY, score INT);"
                "CREATE TABLE log (id INT, name TEXT, score INT);"),
            "");
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl');
CREATE STREAM Totals (name STRING, total BIGINT)
  WITH ('type'='sink', 'connector'='postgres', 'url'='URL', 'table'='totals', 'key'='name');
CREATE STREAM Recent (id INT, score INT)
  WITH ('type'='sink', 'connector'='postgres', 'url'='URL', 'table'='public.recent', 'key'='id');
CREATE STREAM Log (id INT, name STRING, score INT)
  WITH ('type'='sink', 'connector'='postgres', 'url'='URL', 'table'='log');
INSERT INTO Totals SELECT name, sum(score) AS total FROM Users GROUP BY name;
-- Siddhi's length window: each event is current (+I) and, two events later, expired (-D).
INSERT ALL EVENTS INTO Recent SELECT id, score FROM Users WINDOW('length', 2);
INSERT INTO Log SELECT * FROM Users;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sql("SELECT name, total FROM totals ORDER BY name"), "ann|17\nbob|5\ncy|1\n");
  EXPECT_EQ(Sql("SELECT id, score FROM recent ORDER BY id"), "3|1\n4|NULL\n");
  EXPECT_EQ(Sql("SELECT id, name, score FROM log ORDER BY id, score NULLS LAST"),
            "1|ann|7\n1|ann|10\n2|bob|5\n3|cy|1\n4|bob|NULL\n");
  EXPECT_NE(r.err.find("| sink Log written=5 "), std::string::npos) << r.err;
}

TEST_F(PostgresSinkTest, BadConfigurationIsAnErrorNamingTheProperty) {
  App(R"(CREATE STREAM S (id INT, v INT);
CREATE STREAM Out (id INT, v INT)
  WITH ('type'='sink', 'connector'='postgres', 'url'='mysql://localhost/db', 'key'='idd');
INSERT INTO Out SELECT * FROM S;
)");
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("a PostgreSQL 'url' starts with postgresql://"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("connector 'postgres' needs a 'table'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'key': 'idd' is not an attribute of 'Out'"), std::string::npos) << r.err;
}

TEST_F(PostgresSinkTest, AMissingTableFailsTheRunAtOnce) {
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl');
CREATE STREAM Out (id INT, score INT)
  WITH ('type'='sink', 'connector'='postgres', 'url'='URL', 'table'='nowhere');
INSERT INTO Out SELECT id, score FROM Users;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("relation \"nowhere\" does not exist"), std::string::npos) << r.err;
}

// The outage: 6,000 events at 2,000/s into an upsert table; the server is stopped (immediate
// mode, as a crash) once rows arrive and started again 1.5 s later.
TEST_F(PostgresSinkTest, AnOutageLosesNothing) {
  ASSERT_EQ(Sql("CREATE TABLE events (seq BIGINT PRIMARY KEY, v INT)"), "");
  App(R"(CREATE STREAM Events (seq BIGINT, v INT)
  WITH ('type'='source', 'connector'='generator', 'rate'='2000', 'count'='6000',
        'fields.seq'='sequence:0,1');
CREATE STREAM Out (seq BIGINT, v INT)
  WITH ('type'='sink', 'connector'='postgres', 'url'='URL', 'table'='events', 'key'='seq',
        'batch.size'='100', 'retry.backoff.initial'='20ms', 'retry.backoff.max'='200ms',
        'circuit.breaker.threshold'='3', 'circuit.breaker.timeout'='300ms');
INSERT INTO Out SELECT * FROM Events;
)");
  std::thread outage([] {
    for (int i = 0; i < 500 && Sql("SELECT count(*) > 500 FROM events") != "t\n"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    g_pg->Stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(g_pg->Launch(), "");
  });
  CommandResult r = RunIn(dir_, "run app.sql --quiet --stats");
  outage.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sql("SELECT count(*), min(seq), max(seq) FROM events"), "6000|0|5999\n");
  EXPECT_NE(r.err.find("circuit breaker closed"), std::string::npos) << r.err;
  std::string last = r.err.substr(r.err.rfind("stats: "));
  EXPECT_NE(last.find("| sink Out written=6000 queued=0 "), std::string::npos) << last;
}

// A table loaded from PostgreSQL, then polled by its version column: the stream's events join
// the rows the database had at the start, then the rows written after.
TEST_F(PostgresSinkTest, ATableIsLoadedFromPostgresAndKeptUpToDateByPolling) {
  ASSERT_EQ(Sql("CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT, vip BOOLEAN, "
                "since TIMESTAMPTZ, version BIGINT);"
                "INSERT INTO accounts VALUES ('a1', 'Ann', true, '2024-01-02 03:04:05.5+00', 1),"
                "('a2', '', false, NULL, 2), ('a3', NULL, NULL, NULL, 3);"),
            "");
  App(R"(CREATE TABLE Accounts (id STRING PRIMARY KEY, name STRING, vip BOOL, since TIMESTAMP)
  WITH ('type'='source', 'connector'='postgres', 'url'='URL', 'table'='accounts',
        'poll.column'='version', 'poll.interval'='100ms');
CREATE STREAM Logins (account STRING)
  WITH ('type'='source', 'connector'='file', 'path'='logins.jsonl', 'follow'='true');
CREATE STREAM Out (account STRING, name STRING, vip BOOL, since TIMESTAMP)
  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');
INSERT INTO Out SELECT l.account, a.name, a.vip, a.since FROM Logins AS l
  LEFT JOIN Accounts AS a ON l.account = a.id;
)");
  std::ofstream(dir_ / "logins.jsonl") << "{\"account\":\"a1\"}\n{\"account\":\"a2\"}\n"
                                          "{\"account\":\"a3\"}\n{\"account\":\"a4\"}\n";
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 5 --quiet --stats"); });
  ASSERT_TRUE(sluice::testing::WaitForLines(dir_ / "out.jsonl", 4));
  ASSERT_EQ(Sql("UPDATE accounts SET name = 'Ann B', version = 4 WHERE id = 'a1';"
                "INSERT INTO accounts VALUES ('a4', 'Dee', true, NULL, 5);"),
            "");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  sluice::testing::AppendTo(dir_ / "logins.jsonl", "{\"account\":\"a1\"}\n{\"account\":\"a4\"}\n");
  EXPECT_TRUE(sluice::testing::WaitForLines(dir_ / "out.jsonl", 6));
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sluice::testing::NonEmptyLines(sluice::testing::ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{
                R"({"account":"a1","name":"Ann","vip":true,"since":1704164645500})",
                R"({"account":"a2","name":"","vip":false,"since":null})",
                R"({"account":"a3","name":null,"vip":null,"since":null})",
                R"({"account":"a4","name":null,"vip":null,"since":null})",
                R"({"account":"a1","name":"Ann B","vip":true,"since":1704164645500})",
                R"({"account":"a4","name":"Dee","vip":true,"since":null})"}));
  EXPECT_NE(r.err.find("| table Accounts ready rows=4 read=5"), std::string::npos) << r.err;
}

// Without 'poll.column' a source reads once: the run ends with its input.
TEST_F(PostgresSinkTest, AStreamReadsAQueryOnceAndAMissingTableFailsTheRun) {
  ASSERT_EQ(Sql("CREATE TABLE orders (id INT, amount NUMERIC(10,2));"
                "INSERT INTO orders VALUES (1, 9.5), (2, 20), (3, 0.25);"),
            "");
  App(R"(CREATE STREAM Orders (id INT, amount DOUBLE)
  WITH ('type'='source', 'connector'='postgres', 'url'='URL',
        'query'='SELECT id, amount FROM orders WHERE amount > 1 ORDER BY id');
CREATE STREAM Out (id INT, amount DOUBLE)
  WITH ('type'='sink', 'connector'='file', 'path'='orders.jsonl');
INSERT INTO Out SELECT * FROM Orders;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sluice::testing::ReadAll(dir_ / "orders.jsonl"),
            "{\"id\":1,\"amount\":9.5}\n{\"id\":2,\"amount\":20.0}\n");
  App(R"(CREATE STREAM Orders (id INT, amount DOUBLE)
  WITH ('type'='source', 'connector'='postgres', 'url'='URL', 'table'='nowhere');
INSERT INTO Out SELECT * FROM Orders;
)");
  r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("stream 'Orders': cannot read its attributes from "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("relation \"nowhere\" does not exist"), std::string::npos) << r.err;
}

// With a state dir, a restart restores the table and polls on after the largest version read.
TEST_F(PostgresSinkTest, ARestartedSourcePollsOnFromItsCheckpoint) {
  ASSERT_EQ(Sql("CREATE TABLE prices (sym TEXT PRIMARY KEY, px DOUBLE PRECISION, seq BIGINT);"
                "INSERT INTO prices VALUES ('A', 1.5, 1), ('B', 2.5, 2);"),
            "");
  App(R"(CREATE TABLE Prices (sym STRING PRIMARY KEY, px DOUBLE)
  WITH ('type'='source', 'connector'='postgres', 'url'='URL', 'table'='prices',
        'poll.column'='seq', 'poll.interval'='50ms');
CREATE STREAM Ticks (sym STRING)
  WITH ('type'='source', 'connector'='file', 'path'='ticks.jsonl', 'follow'='true');
INSERT INTO Out SELECT t.sym, p.px FROM Ticks AS t JOIN Prices AS p ON t.sym = p.sym;
)");
  std::ofstream(dir_ / "ticks.jsonl") << "";
  CommandResult first = RunIn(dir_, "run app.sql --state-dir state --duration 1 --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(Sql("INSERT INTO prices VALUES ('C', 3.5, 3)"), "");
  CommandResult second =
      RunIn(dir_, "run app.sql --state-dir state --duration 2 --quiet --print --changelog");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(sluice::testing::ChangesOf(second.out, "Prices"),
            "\"op\":\"+I\",\"data\":{\"sym\":\"C\",\"px\":3.5}}\n")
      << second.err;
}

// An outage while polling: the server goes down (immediate mode, as a crash) and comes back; the
// polls fail meanwhile and are logged, and the rows written after it are read.
TEST_F(PostgresSinkTest, APolledSourceCarriesOnAfterAnOutage) {
  ASSERT_EQ(Sql("CREATE TABLE feed (seq BIGINT PRIMARY KEY, v INT);"
                "INSERT INTO feed VALUES (1, 10), (2, 20);"),
            "");
  App(R"(CREATE STREAM Feed (seq BIGINT, v INT)
  WITH ('type'='source', 'connector'='postgres', 'url'='URL', 'table'='feed',
        'poll.column'='seq', 'poll.interval'='100ms', 'connect.timeout'='1s');
CREATE STREAM Out (seq BIGINT, v INT)
  WITH ('type'='sink', 'connector'='file', 'path'='feed.jsonl');
INSERT INTO Out SELECT * FROM Feed;
)");
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 8 --quiet"); });
  EXPECT_TRUE(sluice::testing::WaitForLines(dir_ / "feed.jsonl", 2));
  g_pg->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(g_pg->Launch(), "");
  EXPECT_EQ(Sql("INSERT INTO feed VALUES (3, 30), (4, 40)"), "");
  EXPECT_TRUE(sluice::testing::WaitForLines(dir_ / "feed.jsonl", 4));
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sluice::testing::ReadAll(dir_ / "feed.jsonl"),
            "{\"seq\":1,\"v\":10}\n{\"seq\":2,\"v\":20}\n{\"seq\":3,\"v\":30}\n"
            "{\"seq\":4,\"v\":40}\n");
  EXPECT_NE(r.err.find("stream 'Feed': "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(polled again in 100 ms)"), std::string::npos) << r.err;
}

}  // namespace
