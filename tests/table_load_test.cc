// Tables loaded from sources through the CLI (runtime/table_loader.h): the streams that join a
// table start once it is loaded; a followed file and a Kafka topic (a changelog by key, with
// tombstones, against librdkafka's mock cluster) keep it up to date after the load; a load that
// takes longer than 'table.load.timeout' lets the streams start; a load that fails fails the run;
// a restart from a checkpoint restores the table and reads on from where its source was.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "free_port.h"
#include "kafka_mock.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::MockKafka;
using sluice::testing::NonEmptyLines;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;
constexpr auto Append = sluice::testing::AppendTo;

namespace {

std::string User(int id, const std::string& name) {
  return "{\"id\":\"u" + std::to_string(id) + "\",\"name\":\"" + name + "\"}\n";
}

std::string Click(int id) { return "{\"user\":\"u" + std::to_string(id) + "\"}\n"; }

std::string Joined(int id, const std::string& name) {
  return "{\"user\":\"u" + std::to_string(id) +
         "\",\"name\":" + (name.empty() ? "null" : "\"" + name + "\"") + "}";
}

// The same with its change kind, as a sink writes it under --changelog.
std::string Inserted(int id, const std::string& name) {
  return "{\"op\":\"+I\",\"data\":" + Joined(id, name) + "}";
}

class TableLoadTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = sluice::testing::FreshTestDir("sluice_table_load"); }
  void TearDown() override { fs::remove_all(dir_); }
  // An app joining the stream Clicks (from clicks.jsonl) with the table Users loaded from
  // `users_with` (its WITH properties).
  void WriteApp(const std::string& users_with, const std::string& clicks_with = "",
                const std::string& join_annotation = "") {
    std::ofstream(dir_ / "app.sql")
        << "CREATE TABLE Users (id STRING PRIMARY KEY, name STRING)\n"
           "  WITH ('type'='source', "
        << users_with
        << ");\n"
           "CREATE STREAM Clicks (user STRING)\n"
           "  WITH ('type'='source', 'connector'='file', 'path'='clicks.jsonl'"
        << clicks_with
        << ");\n"
           "CREATE STREAM Out (user STRING, name STRING)\n"
           "  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');\n"
        << join_annotation
        << "INSERT INTO Out SELECT c.user, u.name FROM Clicks AS c LEFT JOIN Users AS u\n"
           "  ON c.user = u.id;\n";
  }
  bool OutputHas(size_t n) { return sluice::testing::WaitForLines(dir_ / "out.jsonl", n); }
  fs::path dir_;
};

// The stream's events join the table's last rows: they would find nothing if the stream started
// before the whole file was read, its last line (without a newline) included. Later rows of a
// key replace earlier ones.
TEST_F(TableLoadTest, StreamsStartOnceTheTableIsLoaded) {
  std::string users;
  for (int i = 0; i < 50'000; ++i) users += User(i, "first");
  users += User(49'999, "last") + R"({"id":"u7","name":"seven"})";  // no newline at the end
  Append(dir_ / "users.jsonl", users);
  Append(dir_ / "clicks.jsonl", Click(49'999) + Click(7) + Click(50'000));
  WriteApp("'connector'='file', 'path'='users.jsonl'");
  CommandResult r = RunIn(dir_, "run app.sql --stats --stats-interval 60");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
      (std::vector<std::string>{Joined(49'999, "last"), Joined(7, "seven"), Joined(50'000, "")}));
  EXPECT_NE(r.err.find("table 'Users' loaded from users.jsonl: 50002 record(s)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("| table Users ready rows=50000 read=50002"), std::string::npos) << r.err;
}

TEST_F(TableLoadTest, AFollowedFileKeepsTheTableUpToDate) {
  Append(dir_ / "users.jsonl", User(1, "Ann") + User(2, "Bob"));
  WriteApp("'connector'='file', 'path'='users.jsonl', 'follow'='true'", ", 'follow'='true'");
  Append(dir_ / "clicks.jsonl", Click(1));
  CommandResult run;
  std::thread app(
      [&] { run = RunIn(dir_, "run app.sql --duration 4 --quiet --print --changelog"); });
  EXPECT_TRUE(OutputHas(1));
  Append(dir_ / "users.jsonl", User(1, "Ann B") + User(3, "Cy"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Append(dir_ / "clicks.jsonl", Click(1) + Click(3));
  EXPECT_TRUE(OutputHas(3));
  app.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(
      NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
      (std::vector<std::string>{Inserted(1, "Ann"), Inserted(1, "Ann B"), Inserted(3, "Cy")}));
  // The table's changelog: the load's inserts, then the update and the new row.
  EXPECT_EQ(sluice::testing::ChangesOf(run.out, "Users"),
            "\"op\":\"+I\",\"data\":{\"id\":\"u1\",\"name\":\"Ann\"}}\n"
            "\"op\":\"+I\",\"data\":{\"id\":\"u2\",\"name\":\"Bob\"}}\n"
            "\"op\":\"-U\",\"data\":{\"id\":\"u1\",\"name\":\"Ann\"}}\n"
            "\"op\":\"+U\",\"data\":{\"id\":\"u1\",\"name\":\"Ann B\"}}\n"
            "\"op\":\"+I\",\"data\":{\"id\":\"u3\",\"name\":\"Cy\"}}\n");
}

TEST_F(TableLoadTest, ALoadPastItsTimeoutLetsTheStreamsStart) {
  WriteApp(
      "'connector'='file', 'path'='later.jsonl', 'wait.timeout'='30s', "
      "'table.load.timeout'='300ms'");
  Append(dir_ / "clicks.jsonl", Click(1));
  CommandResult r = RunIn(dir_, "run app.sql --duration 2 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")), (std::vector<std::string>{Joined(1, "")}));
  EXPECT_NE(r.err.find("table 'Users' is not loaded after 300 ms ('table.load.timeout')"),
            std::string::npos)
      << r.err;
}

// The seed's WaitAndRetry for a table not loaded in time: the arrival waits for its row.
TEST_F(TableLoadTest, AnArrivalWaitsForALateTableWithMissingRetry) {
  WriteApp(
      "'connector'='file', 'path'='later.jsonl', 'wait.timeout'='30s', "
      "'table.load.timeout'='100ms'",
      "", "@join(missing='retry', retries='50', delay='100 ms')\n");
  Append(dir_ / "clicks.jsonl", Click(1));
  CommandResult run;
  std::thread app([&] { run = RunIn(dir_, "run app.sql --duration 3 --quiet"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  Append(dir_ / "later.tmp", User(1, "Ann"));
  fs::rename(dir_ / "later.tmp", dir_ / "later.jsonl");
  app.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Joined(1, "Ann")}));
}

// /ready and the load's metrics are served while Start() waits for the table.
TEST_F(TableLoadTest, ReadyAnswers503UntilTheTableIsLoaded) {
  WriteApp("'connector'='file', 'path'='later.jsonl', 'wait.timeout'='30s'");
  Append(dir_ / "clicks.jsonl", Click(1));
  int port = sluice::testing::FreeLoopbackPort();
  CommandResult run;
  std::thread app(
      [&] { run = RunIn(dir_, "run app.sql --quiet --metrics-port " + std::to_string(port)); });
  // Whatever fails below, the table comes and the app ends before the thread is destroyed.
  auto load = [&] {
    if (fs::exists(dir_ / "later.jsonl")) return;
    Append(dir_ / "later.tmp", User(1, "Ann"));
    fs::rename(dir_ / "later.tmp", dir_ / "later.jsonl");
  };
  struct Finally {
    std::function<void()> f;
    ~Finally() { f(); }
  } finally{[&] {
    load();
    if (app.joinable()) app.join();
  }};
  httplib::Client client("127.0.0.1", port);
  httplib::Result ready = client.Get("/ready");
  for (int i = 0; i < 500 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ready = client.Get("/ready");
  }
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body,
            "{\"ready\":false,\"tables\":[{\"table\":\"Users\",\"state\":\"loading\","
            "\"rows\":0}]}\n");
  httplib::Result metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("sluice_table_loaded{table=\"Users\"} 0"), std::string::npos)
      << metrics->body;
  load();
  app.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Joined(1, "Ann")}));
}

// --duration and a signal stop a run whose table is still loading: not a failure.
TEST_F(TableLoadTest, DurationAndSignalsStopTheLoad) {
  WriteApp("'connector'='file', 'path'='never.jsonl', 'wait.timeout'='60s'");
  Append(dir_ / "clicks.jsonl", Click(1));
  CommandResult r = RunIn(dir_, "run app.sql --duration 0.5");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("sluice: loading table(s) Users before the streams start"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("stopped after --duration 0.500 s while the tables were loading: Users "
                       "(0 rows so far)"),
            std::string::npos)
      << r.err;
  r = sluice::testing::RunShell(dir_,
                                "\"$SLUICE\" run app.sql --quiet & pid=$!\n"
                                "sleep 1.5; kill -INT $pid; wait $pid; echo \"exit=$?\"\n");
  EXPECT_NE(r.out.find("exit=0"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("stopped by SIGINT while the tables were loading"), std::string::npos)
      << r.err;
}

TEST_F(TableLoadTest, AFailedLoadFailsTheRunAndNullKeysAreCounted) {
  Append(dir_ / "clicks.jsonl", Click(1));
  WriteApp("'connector'='file', 'path'='missing.jsonl'");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("table 'Users': cannot open 'missing.jsonl'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out.jsonl") && !ReadAll(dir_ / "out.jsonl").empty());

  Append(dir_ / "users.jsonl", User(1, "Ann") + "{\"id\":null,\"name\":\"nobody\"}\n");
  WriteApp("'connector'='file', 'path'='users.jsonl'");
  r = RunIn(dir_, "run app.sql --quiet --strict");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("table Users: users.jsonl:2: its key 'id' is NULL"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("1 malformed input record(s) skipped"), std::string::npos) << r.err;
}

// With a state dir, a restart restores the table and its source goes on after the last line it
// had read: the rows of the first run are not loaded again (no +I for them in the changelog).
TEST_F(TableLoadTest, ARestartRestoresTheTableAndReadsOn) {
  Append(dir_ / "users.jsonl", User(1, "Ann") + User(2, "Bob"));
  Append(dir_ / "clicks.jsonl", "");
  WriteApp("'connector'='file', 'path'='users.jsonl', 'follow'='true'", ", 'follow'='true'");
  CommandResult first = RunIn(dir_, "run app.sql --state-dir state --duration 1 --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Append(dir_ / "users.jsonl", User(2, "Bob B"));
  CommandResult second;
  std::thread app([&] {
    second = RunIn(dir_, "run app.sql --state-dir state --duration 3 --quiet --print --changelog");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  Append(dir_ / "clicks.jsonl", Click(1) + Click(2));
  EXPECT_TRUE(OutputHas(2));
  app.join();
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Inserted(1, "Ann"), Inserted(2, "Bob B")}));
  EXPECT_EQ(sluice::testing::ChangesOf(second.out, "Users"),
            "\"op\":\"-U\",\"data\":{\"id\":\"u2\",\"name\":\"Bob\"}}\n"
            "\"op\":\"+U\",\"data\":{\"id\":\"u2\",\"name\":\"Bob B\"}}\n");
}

class KafkaTableTest : public TableLoadTest {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "librdkafka is not instrumented for ThreadSanitizer";
#endif
    TableLoadTest::SetUp();
    kafka_ = std::make_unique<MockKafka>();  // after the skip: under TSan its threads crash
    ASSERT_TRUE(kafka_->ok());
  }
  std::unique_ptr<MockKafka> kafka_;
};

// Flink's upsert-kafka and ksqlDB's tables: the topic from its beginning, every partition, the
// last value of a key wins, and a tombstone deletes the key's row.
TEST_F(KafkaTableTest, ATopicIsLoadedAsAChangelogByKey) {
  ASSERT_TRUE(kafka_->CreateTopic("users", 3));
  std::string u1 = "u1", u2 = "u2", u3 = "u3";
  ASSERT_TRUE(kafka_->Produce("users", R"({"id":"u1","name":"Ann"})", &u1));
  ASSERT_TRUE(kafka_->Produce("users", R"({"id":"u2","name":"Bob"})", &u2));
  ASSERT_TRUE(kafka_->Produce("users", R"({"id":"u3","name":"Cy"})", &u3));
  ASSERT_TRUE(kafka_->Produce("users", R"({"id":"u1","name":"Ann B"})", &u1));
  ASSERT_TRUE(kafka_->ProduceTombstone("users", u2));
  ASSERT_TRUE(kafka_->Flush());
  Append(dir_ / "clicks.jsonl", Click(1) + Click(2) + Click(3));
  WriteApp("'connector'='kafka', 'topic'='users', 'bootstrap.servers'='" + kafka_->bootstraps() +
           "'");
  CommandResult r = RunIn(dir_, "run app.sql --duration 3 --quiet --stats --stats-interval 60");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Joined(1, "Ann B"), Joined(2, ""), Joined(3, "Cy")}));
  EXPECT_NE(r.err.find("| table Users ready rows=2 read=5"), std::string::npos) << r.err;
}

TEST(TableLoadCheck, BadTableSourcesAreErrors) {
  fs::path dir = sluice::testing::FreshTestDir("sluice_table_check");
  std::ofstream(dir / "app.sql")
      << "CREATE TABLE A (id STRING, v INT) WITH ('type'='source', 'connector'='file', "
         "'path'='a.jsonl');\n"
         "CREATE TABLE B (id STRING PRIMARY KEY) WITH ('type'='source', 'connector'='file', "
         "'path'='b.jsonl', 'table.load.timeout'='soon');\n"
         "CREATE STREAM S (id STRING) WITH ('table.load.timeout'='1s');\n"
         "CREATE TABLE C (id STRING PRIMARY KEY) WITH ('type'='sink', 'connector'='stdout');\n"
         "CREATE TABLE D (id STRING PRIMARY KEY) WITH ('type'='sorce', 'connector'='file', "
         "'path'='d.jsonl');\n";
  CommandResult r = RunIn(dir, "check app.sql");
  EXPECT_EQ(r.exit_code, 1);
  for (const char* want :
       {"app.sql:1:58: error: a table loaded from connector 'file' needs a PRIMARY KEY",
        "e.g. id STRING PRIMARY KEY",
        "error: 'table.load.timeout' needs a duration such as '60s' ('0': do not wait), got "
        "'soon'",
        "app.sql:3:35: error: 'table.load.timeout' is for a table loaded from a source",
        "error: not supported yet: a table written to connector 'stdout'",
        "app.sql:5:53: error: 'type' must be 'source' or 'sink', got 'sorce'"})
    EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
  EXPECT_EQ(r.err.find("written to connector 'file'"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

}  // namespace
