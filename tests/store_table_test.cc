// Tables that live in a store, through the CLI against a real redis-server and PostgreSQL
// (tests/redis_server.h, tests/postgres_server.h): joins look their rows up (one round trip per
// batch, cached), writes (UPDATE with SET reading the stored row, UPDATE OR INSERT, DELETE) go to
// the store, the cache's TTL lets a change made by someone else be seen, a waiting lookup
// (@join(missing='retry')) asks the store again, an outage of the store holds the batch until
// it answers again, and bad configuration is an error at its line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "postgres_server.h"
#include "redis_server.h"
#include "test_files.h"

namespace fs = std::filesystem;
using sluice::testing::AppendTo;
using sluice::testing::CommandResult;
using sluice::testing::NonEmptyLines;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;
using sluice::testing::WaitForLines;

namespace {

class RedisTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = sluice::testing::FreshTestDir("sluice_redis_table");
    ASSERT_EQ(redis_.Start(), "");
    redis_.Command({"SET", "user:a1", R"({"id":"a1","name":"Ann","vip":true})"});
    redis_.Command({"SET", "user:a2", R"({"id":"a2","name":"Bob","vip":false})"});
  }
  void TearDown() override { fs::remove_all(dir_); }

  // app.sql: the table Users in Redis (with `with` added to its WITH), the streams, `queries`.
  void App(const std::string& with, const std::string& queries) {
    std::string sql = R"(CREATE TABLE Users (id STRING PRIMARY KEY, name STRING, vip BOOL)
  WITH ('connector'='redis', 'url'='URL', 'key'='user:{id}')" +
                      with + R"();
CREATE STREAM Logins (account STRING)
  WITH ('type'='source', 'connector'='file', 'path'='logins.jsonl', 'follow'='true');
CREATE STREAM Out (account STRING, name STRING, vip BOOL)
  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');
)" + queries;
    for (size_t at; (at = sql.find("URL")) != std::string::npos;) sql.replace(at, 3, redis_.url());
    std::ofstream(dir_ / "app.sql") << sql;
  }
  static constexpr const char* kJoin =
      "INSERT INTO Out SELECT l.account, u.name, u.vip FROM Logins AS l\n"
      "  LEFT JOIN Users AS u ON l.account = u.id;\n";

  sluice::testing::RedisServer redis_;
  fs::path dir_;
};

TEST_F(RedisTableTest, AJoinLooksRowsUpInRedisAndACachedRowIsReadUntilItsTtl) {
  App(", 'cache.ttl'='300ms'", kJoin);
  redis_.Command({"HSET", "user:a9", "id", "a9"});  // not a row of a 'set' table: taken as none
  std::ofstream(dir_ / "logins.jsonl") << "{\"account\":\"a1\"}\n{\"account\":\"a2\"}\n"
                                          "{\"account\":\"a9\"}\n{\"account\":\"a1\"}\n";
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 3 --quiet --stats"); });
  ASSERT_TRUE(WaitForLines(dir_ / "out.jsonl", 4));
  // Changed by someone else: read once the cached row is older than its TTL.
  redis_.Command({"SET", "user:a1", R"({"id":"a1","name":"Ann B","vip":true})"});
  redis_.Command({"SET", "user:a9", R"({"id":"a9","name":"Nia","vip":null})"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  AppendTo(dir_ / "logins.jsonl", "{\"account\":\"a1\"}\n{\"account\":\"a9\"}\n");
  EXPECT_TRUE(WaitForLines(dir_ / "out.jsonl", 6));
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{R"({"account":"a1","name":"Ann","vip":true})",
                                      R"({"account":"a2","name":"Bob","vip":false})",
                                      R"({"account":"a9","name":null,"vip":null})",
                                      R"({"account":"a1","name":"Ann","vip":true})",
                                      R"({"account":"a1","name":"Ann B","vip":true})",
                                      R"({"account":"a9","name":"Nia","vip":null})"}));
  std::string last = r.err.substr(r.err.rfind("stats: "));
  EXPECT_NE(last.find("| table Users in redis "), std::string::npos) << last;
  EXPECT_NE(r.err.find("the value of 'user:a9' in redis://127.0.0.1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is not a row of the table (it is not a string): taken as no row"),
            std::string::npos)
      << r.err;
}

// UPDATE ... SET reads the stored row (two updates of one key in one batch: the second reads
// the first's result from the cache), UPDATE OR INSERT adds a key, DELETE removes one; the
// table's changelog says each change, and Redis holds the result.
TEST_F(RedisTableTest, WritesGoToRedisAndReadTheStoredRow) {
  App("", R"(CREATE STREAM Ops (op STRING, id STRING, name STRING)
  WITH ('type'='source', 'connector'='file', 'path'='ops.jsonl');
SELECT id, name FROM Ops[op == 'rename'] UPDATE Users SET name = concat(Users.name, ' ', name)
  ON Users.id = id;
SELECT id, name, false AS vip FROM Ops[op == 'add'] UPDATE OR INSERT INTO Users ON Users.id = id;
SELECT id FROM Ops[op == 'drop'] DELETE Users ON Users.id = id;
)");
  std::ofstream(dir_ / "logins.jsonl") << "";
  std::ofstream(dir_ / "ops.jsonl") << R"({"op":"rename","id":"a1","name":"B."}
{"op":"rename","id":"a1","name":"C."}
{"op":"add","id":"a3","name":"Cy"}
{"op":"drop","id":"a2"}
{"op":"drop","id":"a7"}
{"op":"rename","id":"a8","name":"X"}
)";
  CommandResult r = RunIn(dir_, "run app.sql --duration 1 --quiet --print --changelog");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"GET", "user:a1"}), R"({"id":"a1","name":"Ann B. C.","vip":true})");
  EXPECT_EQ(redis_.Command({"GET", "user:a3"}), R"({"id":"a3","name":"Cy","vip":false})");
  EXPECT_EQ(redis_.Command({"EXISTS", "user:a2"}), "0");
  EXPECT_EQ(redis_.Command({"DBSIZE"}), "2");
  std::string changes = sluice::testing::ChangesOf(r.out, "Users");
  EXPECT_NE(changes.find(R"("op":"-U","data":{"id":"a1","name":"Ann","vip":true})"),
            std::string::npos)
      << changes;
  EXPECT_NE(changes.find(R"("op":"+U","data":{"id":"a1","name":"Ann B. C.","vip":true})"),
            std::string::npos)
      << changes;
  EXPECT_NE(changes.find(R"("op":"-D","data":{"id":"a2","name":"Bob","vip":false})"),
            std::string::npos)
      << changes;
  EXPECT_NE(changes.find(R"("op":"+I","data":{"id":"a3","name":"Cy","vip":false})"),
            std::string::npos)
      << changes;
}

// A table with 'command'='hset': a hash per row, a field per column.
TEST_F(RedisTableTest, AHashPerRowWithHset) {
  redis_.Command({"HSET", "acct:1", "id", "1", "name", "Ann", "balance", "10"});
  std::string sql = R"(CREATE TABLE Accounts (id INT PRIMARY KEY, name STRING, balance BIGINT)
  WITH ('connector'='redis', 'url'='URL', 'key'='acct:{id}', 'command'='hset');
CREATE STREAM Deposits (account INT, amount BIGINT)
  WITH ('type'='source', 'connector'='file', 'path'='deposits.jsonl');
SELECT account, amount FROM Deposits UPDATE Accounts SET balance = Accounts.balance + amount
  ON Accounts.id = account;
)";
  for (size_t at; (at = sql.find("URL")) != std::string::npos;) sql.replace(at, 3, redis_.url());
  std::ofstream(dir_ / "app.sql") << sql;
  std::ofstream(dir_ / "deposits.jsonl") << "{\"account\":1,\"amount\":5}\n{\"account\":2,"
                                            "\"amount\":3}\n{\"account\":1,\"amount\":7}\n";
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"HGETALL", "acct:1"}), "id\n1\nname\nAnn\nbalance\n22");
  EXPECT_EQ(redis_.Command({"EXISTS", "acct:2"}), "0");  // UPDATE finds no row: nothing written
}

// @join(missing='retry'): the arrival waits, and each retry asks Redis again.
TEST_F(RedisTableTest, AWaitingLookupAsksRedisAgain) {
  App("", R"(@join(missing='retry', retries='50', delay='50ms')
INSERT INTO Out SELECT l.account, u.name, u.vip FROM Logins AS l JOIN Users AS u
  ON l.account = u.id;
)");
  std::ofstream(dir_ / "logins.jsonl") << "{\"account\":\"a5\"}\n";
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 2 --quiet"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  redis_.Command({"SET", "user:a5", R"({"id":"a5","name":"Eve","vip":true})"});
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadAll(dir_ / "out.jsonl"), "{\"account\":\"a5\",\"name\":\"Eve\",\"vip\":true}\n");
}

// The server dies with lookups to make: the batch waits (backpressure), tried again with
// backoff, and is joined once the server is back; nothing is lost or answered wrongly.
TEST_F(RedisTableTest, AnOutageHoldsTheLookupsUntilRedisAnswersAgain) {
  App(", 'retry.backoff.initial'='20ms', 'retry.backoff.max'='100ms'", kJoin);
  std::ofstream(dir_ / "logins.jsonl") << "{\"account\":\"a1\"}\n";
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 4 --quiet"); });
  ASSERT_TRUE(WaitForLines(dir_ / "out.jsonl", 1));
  redis_.Kill();
  AppendTo(dir_ / "logins.jsonl", "{\"account\":\"a2\"}\n{\"account\":\"a4\"}\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")).size(), 1u);
  ASSERT_EQ(redis_.Start(), "");
  redis_.Command({"SET", "user:a2", R"({"id":"a2","name":"Bob","vip":false})"});
  EXPECT_TRUE(WaitForLines(dir_ / "out.jsonl", 3));
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{R"({"account":"a1","name":"Ann","vip":true})",
                                      R"({"account":"a2","name":"Bob","vip":false})",
                                      R"({"account":"a4","name":null,"vip":null})"}));
  EXPECT_NE(r.err.find("table 'Users': a lookup in redis://"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("table 'Users': lookups in redis://"), std::string::npos) << r.err;
}

TEST_F(RedisTableTest, BadConfigurationIsAnErrorAtItsLine) {
  auto check = [&](const std::string& with, const std::string& query) {
    App(with, query);
    return RunIn(dir_, "check app.sql");
  };
  CommandResult r = check("",
                          "INSERT INTO Out SELECT l.account, u.name, u.vip FROM Logins AS l\n"
                          "  JOIN Users AS u ON l.account = u.name;\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("table 'Users' lives in Redis: a join looks its rows up by key, so ON must "
                       "equate its whole primary key"),
            std::string::npos)
      << r.err;
  r = check(", 'cache.size'='many'", kJoin);
  EXPECT_NE(r.err.find("'cache.size' needs a number of rows"), std::string::npos) << r.err;
  r = check(", 'command'='xadd'", kJoin);
  EXPECT_NE(r.err.find("is written with 'set' or 'hset', not 'xadd'"), std::string::npos) << r.err;
  App("", kJoin);
  std::string sql = ReadAll(dir_ / "app.sql");
  sql.replace(sql.find("'key'='user:{id}'"), 17, "'key'='user:{name}'");
  std::ofstream(dir_ / "app.sql") << sql;
  r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.err.find("the Redis 'key' of a table is made of its primary key (id)"),
            std::string::npos)
      << r.err;
  r = check("",
            "SELECT account FROM Logins UPDATE Users SET vip = true ON Users.name = account;\n");
  EXPECT_NE(r.err.find("a write finds its row by key, so ON must give its whole primary key"),
            std::string::npos)
      << r.err;
  r = check("", "SELECT account FROM Logins UPDATE Users SET id = 'x' ON Users.id = account;\n");
  EXPECT_NE(r.err.find("an UPDATE cannot move a row to another key ('id' is its key)"),
            std::string::npos)
      << r.err;
  r = check("",
            "INSERT INTO Out SELECT l.account, u.name, u.vip FROM Logins WINDOW('length', 5)\n"
            "  AS l JOIN Users AS u ON l.account = u.id;\n");
  EXPECT_NE(r.err.find("the stream that joins it takes no WINDOW"), std::string::npos) << r.err;
  // No server at the URL: `run` fails at its start, naming the table.
  redis_.Kill();
  App("", kJoin);
  std::ofstream(dir_ / "logins.jsonl") << "";
  r = RunIn(dir_, "run app.sql --duration 1 --quiet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect to redis://127.0.0.1:"), std::string::npos) << r.err;
}

// One PostgreSQL for the suite: initdb takes a second.
sluice::testing::PostgresServer* g_pg = nullptr;
std::string g_pg_error;

class PostgresTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_pg = new sluice::testing::PostgresServer();
    g_pg_error = g_pg->Start();
  }
  static void TearDownTestSuite() {
    delete g_pg;
    g_pg = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(g_pg_error, "");
    dir_ = sluice::testing::FreshTestDir("sluice_pg_table");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void App(std::string sql) {
    for (size_t at; (at = sql.find("URL")) != std::string::npos;) sql.replace(at, 3, g_pg->url());
    std::ofstream(dir_ / "app.sql") << sql;
  }
  static std::string Sql(const std::string& q) { return g_pg->Query(q); }
  fs::path dir_;
};

// Lookups (a composite key, one query per batch) and writes batched into statements: UPDATE
// with SET reading the stored row, UPDATE OR INSERT through ON CONFLICT, DELETE.
TEST_F(PostgresTableTest, AJoinLooksRowsUpAndWritesGoToTheTable) {
  ASSERT_EQ(Sql("DROP TABLE IF EXISTS balances;"
                "CREATE TABLE balances (bank TEXT, id INT, owner TEXT, balance BIGINT, "
                "PRIMARY KEY (bank, id));"
                "INSERT INTO balances VALUES ('x', 1, 'Ann', 10), ('x', 2, 'Bob', 20), "
                "('y', 1, 'Cy', 30);"),
            "");
  App(R"(CREATE TABLE Balances (bank STRING PRIMARY KEY, id INT PRIMARY KEY, owner STRING,
                       balance BIGINT)
  WITH ('connector'='postgres', 'url'='URL', 'table'='balances');
CREATE STREAM Ops (op STRING, bank STRING, id INT, amount BIGINT)
  WITH ('type'='source', 'connector'='file', 'path'='ops.jsonl');
CREATE STREAM Out (bank STRING, id INT, owner STRING, balance BIGINT)
  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');
INSERT INTO Out SELECT o.bank, o.id, b.owner, b.balance FROM Ops[op == 'show'] AS o
  LEFT JOIN Balances AS b ON o.bank = b.bank AND o.id = b.id;
SELECT bank, id, amount FROM Ops[op == 'deposit']
  UPDATE Balances SET balance = Balances.balance + amount
  ON Balances.bank = bank AND Balances.id = id;
SELECT bank, id, 'New' AS owner, amount AS balance FROM Ops[op == 'open']
  UPDATE OR INSERT INTO Balances ON Balances.bank = bank AND Balances.id = id;
SELECT bank, id FROM Ops[op == 'close'] DELETE Balances ON Balances.bank = bank AND Balances.id = id;
)");
  std::ofstream(dir_ / "ops.jsonl") << R"({"op":"show","bank":"x","id":1}
{"op":"show","bank":"y","id":1}
{"op":"show","bank":"y","id":2}
{"op":"deposit","bank":"x","id":2,"amount":5}
{"op":"deposit","bank":"x","id":2,"amount":7}
{"op":"open","bank":"z","id":1,"amount":100}
{"op":"close","bank":"y","id":1}
)";
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sql("SELECT bank, id, owner, balance FROM balances ORDER BY bank, id"),
            "x|1|Ann|10\nx|2|Bob|32\nz|1|New|100\n");
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{R"({"bank":"x","id":1,"owner":"Ann","balance":10})",
                                      R"({"bank":"y","id":1,"owner":"Cy","balance":30})",
                                      R"({"bank":"y","id":2,"owner":null,"balance":null})"}));
}

TEST_F(PostgresTableTest, AMissingTableFailsTheRunAtItsStart) {
  App(R"(CREATE TABLE T (id INT PRIMARY KEY, v STRING)
  WITH ('connector'='postgres', 'url'='URL', 'table'='nowhere');
CREATE STREAM S (id INT) WITH ('type'='source', 'connector'='file', 'path'='s.jsonl');
INSERT INTO Out SELECT s.id, t.v FROM S AS s JOIN T AS t ON s.id = t.id;
)");
  std::ofstream(dir_ / "s.jsonl") << "";
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("relation \"nowhere\" does not exist"), std::string::npos) << r.err;
}

}  // namespace
