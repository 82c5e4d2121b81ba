// The PostgreSQL sink through the CLI against a real PostgreSQL (tests/postgres_server.h): an
// upsert table from a running aggregate (+U updates the row), deletes from expired events, an
// append table with NULLs, bad configuration, a missing table, and an outage: the server is
// stopped midway and started again, and every row reaches it.
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

}  // namespace
