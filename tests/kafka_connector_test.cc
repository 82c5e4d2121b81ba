// Kafka records' keys, partitions, offsets and timestamps through the CLI, against librdkafka's
// mock cluster (tests/kafka_mock.h): a source that exposes them (and takes its event time from
// the record timestamp), and an upsert sink keyed by an attribute whose deletes are tombstones,
// as Flink's upsert-kafka writes a compacted topic.
#include <gtest/gtest.h>

#include <fstream>
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

namespace {

class KafkaConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "librdkafka is not instrumented for ThreadSanitizer";
#endif
    dir_ = sluice::testing::FreshTestDir("sluice_kafka_e2e");
    // Made here, after the skip: under TSan the mock cluster's own threads crash.
    kafka_ = std::make_unique<MockKafka>();
    ASSERT_TRUE(kafka_->ok());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<MockKafka> kafka_;
  fs::path dir_;
};

TEST_F(KafkaConnectorTest, ASourceExposesKeyPartitionOffsetAndTimestamp) {
  ASSERT_TRUE(kafka_->CreateTopic("clicks"));
  std::string a = "user-a";
  ASSERT_TRUE(kafka_->Produce("clicks", R"({"page":"/home"})", &a, 1'700'000'000'000));
  ASSERT_TRUE(kafka_->Produce("clicks", R"({"page":"/cart"})", nullptr, 1'700'000'000'500));
  ASSERT_TRUE(kafka_->Flush());
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Clicks (usr STRING, page STRING, part INT, off BIGINT, ts BIGINT)\n"
         "  WITH ('type'='source', 'connector'='kafka', 'topic'='clicks', 'bootstrap.servers'='"
      << kafka_->bootstraps()
      << "', 'key.field'='usr', 'partition.field'='part', 'offset.field'='off',\n"
         "        'timestamp.field'='ts', 'event.time.field'='ts');\n"
         "CREATE STREAM Out (usr STRING, page STRING, part INT, off BIGINT, ts BIGINT)\n"
         "  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');\n"
         "INSERT INTO Out SELECT * FROM Clicks;\n";
  CommandResult r = RunIn(dir_, "run app.sql --duration 4 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{
                R"({"usr":"user-a","page":"/home","part":0,"off":0,"ts":1700000000000})",
                R"({"usr":null,"page":"/cart","part":0,"off":1,"ts":1700000000500})"}));
}

// 'event.time.source'='kafka': windows close by the records' timestamps, whatever the wall
// clock (the last one stays open: a stop is not the end of the input), and a record later than
// its window (beyond the allowed lateness) is late.
TEST_F(KafkaConnectorTest, EventTimeFromTheRecordTimestamp) {
  ASSERT_TRUE(kafka_->CreateTopic("views"));
  const int64_t t0 = 1'700'000'000'000;
  for (int64_t at : {t0, t0 + 400, t0 + 1'200, t0 + 300, t0 + 2'500})
    ASSERT_TRUE(kafka_->Produce("views", R"({"page":"/a"})", nullptr, at));
  ASSERT_TRUE(kafka_->Flush());
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Views (page STRING)\n"
         "  WITH ('type'='source', 'connector'='kafka', 'topic'='views', 'bootstrap.servers'='"
      << kafka_->bootstraps()
      << "', 'event.time.source'='kafka', 'late.data'='drop');\n"
         "CREATE STREAM Out (page STRING, n BIGINT, ends TIMESTAMP)\n"
         "  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');\n"
         "INSERT INTO Out SELECT page, count() AS n, window_end AS ends FROM Views\n"
         "  WINDOW TUMBLING(1 SECOND) GROUP BY page;\n";
  CommandResult r = RunIn(dir_, "run app.sql --duration 4 --quiet --stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{R"({"page":"/a","n":2,"ends":1700000001000})",
                                      R"({"page":"/a","n":1,"ends":1700000002000})"}));
  std::string last = r.err.substr(r.err.rfind("stats: "));
  EXPECT_NE(last.find("late=1"), std::string::npos) << last;
  std::ofstream(dir_ / "bad.sql")
      << "CREATE STREAM F (ts BIGINT) WITH ('type'='source', 'connector'='file', 'path'='f',\n"
         "  'event.time.source'='kafka');\n"
         "CREATE STREAM K (ts BIGINT) WITH ('type'='source', 'connector'='kafka',\n"
         "  'event.time.source'='kafka', 'event.time.field'='ts');\n"
         "INSERT INTO Out SELECT * FROM F;\nINSERT INTO Out SELECT * FROM K;\n";
  r = RunIn(dir_, "check bad.sql");
  EXPECT_NE(r.err.find("'event.time.source'='kafka' is for a Kafka source"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("comes from 'event.time.source' or 'event.time.field', not both"),
            std::string::npos)
      << r.err;
}

TEST_F(KafkaConnectorTest, AnUpsertSinkKeysMessagesAndWritesDeletesAsTombstones) {
  std::ofstream(dir_ / "users.jsonl") << R"({"id":1,"score":10}
{"id":2,"score":5}
{"id":1,"score":7}
)";
  ASSERT_TRUE(kafka_->CreateTopic("totals"));
  ASSERT_TRUE(kafka_->CreateTopic("recent"));
  std::string servers = kafka_->bootstraps();
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Users (id INT, score INT)\n"
         "  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl');\n"
         "CREATE STREAM Totals (id INT, total BIGINT)\n"
         "  WITH ('type'='sink', 'connector'='kafka', 'topic'='totals', 'key.field'='id', "
         "'bootstrap.servers'='"
      << servers
      << "');\n"
         "CREATE STREAM Recent (id INT, score INT)\n"
         "  WITH ('type'='sink', 'connector'='kafka', 'topic'='recent', 'key.field'='id', "
         "'bootstrap.servers'='"
      << servers
      << "');\n"
         "INSERT INTO Totals SELECT id, sum(score) AS total FROM Users GROUP BY id;\n"
         "-- Siddhi's length window: the first event expires (-D) when the third comes.\n"
         "INSERT ALL EVENTS INTO Recent SELECT id, score FROM Users WINDOW('length', 2);\n";
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<MockKafka::Message> totals = kafka_->Consume("totals", 3);
  ASSERT_EQ(totals.size(), 3u);
  EXPECT_EQ(totals[0].key, "1");
  EXPECT_EQ(totals[0].value, R"({"id":1,"total":10})");
  EXPECT_EQ(totals[1].key, "2");
  EXPECT_EQ(totals[2].key, "1");
  EXPECT_EQ(totals[2].value, R"({"id":1,"total":17})");
  std::vector<MockKafka::Message> recent = kafka_->Consume("recent", 4);
  ASSERT_EQ(recent.size(), 4u);
  int tombstones = 0;
  for (const auto& m : recent) {
    EXPECT_TRUE(m.has_key);
    if (m.tombstone) {
      ++tombstones;
      EXPECT_EQ(m.key, "1");
    }
  }
  EXPECT_EQ(tombstones, 1);
}

TEST_F(KafkaConnectorTest, NoBrokerAtTheAddressFailsTheRunAfterConnectTimeout) {
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Src (k STRING) WITH ('type'='source', 'connector'='kafka', "
         "'bootstrap.servers'='127.0.0.1:"
      << sluice::testing::FreeLoopbackPort()
      << "', 'connect.timeout'='1s');\n"
         "INSERT INTO Out SELECT k FROM Src;\n";
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no Kafka broker answered at '127.0.0.1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("within 1000 ms ('connect.timeout')"), std::string::npos) << r.err;
}

// A broker that goes down after the start, and comes back: said in Sluice's words, each kind of
// error at most every 10 s, and none of librdkafka's own log lines.
TEST_F(KafkaConnectorTest, BrokerErrorsAfterTheStartAreSaidOnceInWords) {
  ASSERT_TRUE(kafka_->CreateTopic("clicks"));
  ASSERT_TRUE(kafka_->Produce("clicks", R"({"page":"/home"})"));
  ASSERT_TRUE(kafka_->Flush());
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Clicks (page STRING)\n"
         "  WITH ('type'='source', 'connector'='kafka', 'topic'='clicks', 'bootstrap.servers'='"
      << kafka_->bootstraps()
      << "');\n"
         "CREATE STREAM Out (page STRING) WITH ('type'='sink', 'connector'='file', "
         "'path'='out.jsonl');\n"
         "INSERT INTO Out SELECT * FROM Clicks;\n";
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 5 --quiet"); });
  bool read = sluice::testing::WaitForLines(dir_ / "out.jsonl", 1);
  rd_kafka_mock_broker_set_down(kafka_->cluster(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  rd_kafka_mock_broker_set_up(kafka_->cluster(), 1);
  app.join();
  EXPECT_TRUE(read);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool worded =
      r.err.find("stream 'Clicks': no Kafka broker at '" + kafka_->bootstraps() +
                 "' is reachable; retrying") != std::string::npos ||
      r.err.find("stream 'Clicks': the connection to a Kafka broker at '") != std::string::npos;
  EXPECT_TRUE(worded) << r.err;
  EXPECT_EQ(r.err.find("%3|"), std::string::npos) << r.err;  // librdkafka's own lines
  size_t lines = 0;
  for (size_t at = 0; (at = r.err.find("is reachable; retrying", at)) != std::string::npos; ++at)
    ++lines;
  EXPECT_LE(lines, 1u) << r.err;
}

TEST_F(KafkaConnectorTest, MetadataFieldsAreChecked) {
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Src (k INT, p STRING) WITH ('type'='source', 'connector'='kafka', "
         "'key.field'='k', 'partition.field'='p', 'offset.field'='o');\n"
         "CREATE STREAM Out (k INT) WITH ('type'='sink', 'connector'='kafka', "
         "'offset.field'='k');\n"
         "INSERT INTO Out SELECT k FROM Src;\n";
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'key.field' of a source must be a STRING attribute: 'k' is INT"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'partition.field' must be an INT, BIGINT or TIMESTAMP attribute"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'offset.field': 'o' is not an attribute of 'Src'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'offset.field' is for a Kafka source, not a sink"), std::string::npos)
      << r.err;
}

}  // namespace
