// The Redis sink through the CLI against a real redis-server (tests/redis_server.h): SET with a
// key template, HSET of a running aggregate (+U overwrites), DEL for deletes, XADD, PUBLISH, bad
// configuration, and an outage: the server is killed midway and restarted, and with
// 'queue.full'='block' every event reaches it, the breaker opens and closes, and the counts add up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "redis_server.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::RedisServer;
using sluice::testing::RunIn;
using sluice::testing::RunShell;

namespace {

class RedisSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = sluice::testing::FreshTestDir("sluice_redis_e2e");
    std::string why = redis_.Start();
    ASSERT_EQ(why, "");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes app.sql with every "URL" replaced by the server's URL.
  void App(std::string sql) {
    for (size_t at; (at = sql.find("URL")) != std::string::npos;) sql.replace(at, 3, redis_.url());
    std::ofstream(dir_ / "app.sql") << sql;
  }
  void Users() {
    std::ofstream(dir_ / "users.jsonl") << R"({"id":1,"name":"ann","score":10}
{"id":2,"name":"bob","score":5}
{"id":1,"name":"ann","score":7}
{"id":3,"name":"cy","score":1}
{"id":4,"name":"bob","score":2}
)";
  }

  RedisServer redis_;
  fs::path dir_;
};

TEST_F(RedisSinkTest, SetWithAKeyTemplateAndHsetOfARunningAggregate) {
  Users();
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Latest (id INT, name STRING, score INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='user:{id}');
CREATE STREAM Totals (name STRING, total BIGINT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='total:{name}',
        'command'='hset', 'ttl'='1h');
INSERT INTO Latest SELECT id, name, score FROM Users;
INSERT INTO Totals SELECT name, sum(score) AS total FROM Users GROUP BY name;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"GET", "user:1"}), R"({"id":1,"name":"ann","score":7})");
  EXPECT_EQ(redis_.Command({"GET", "user:4"}), R"({"id":4,"name":"bob","score":2})");
  EXPECT_EQ(redis_.Command({"HGETALL", "total:bob"}), "name\nbob\ntotal\n7");
  EXPECT_EQ(redis_.Command({"HGETALL", "total:ann"}), "name\nann\ntotal\n17");
  int64_t ttl = std::stoll(redis_.Command({"PTTL", "total:ann"}));
  EXPECT_GT(ttl, 3'000'000);
  EXPECT_LE(ttl, 3'600'000);
  EXPECT_EQ(redis_.Command({"DBSIZE"}), "7");  // 4 users, 3 names
  EXPECT_NE(r.err.find("| sink Latest written=5 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("| sink Totals written=5 "), std::string::npos) << r.err;
}

TEST_F(RedisSinkTest, ExpiredEventsAreDeletes) {
  Users();
  // Siddhi's length window: each event is current (+I: SET) and, two events later, expired
  // (-D: DEL), so only the last two keys stay.
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Recent (id INT, score INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='recent:{id}');
INSERT ALL EVENTS INTO Recent SELECT id, score FROM Users WINDOW('length', 2);
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"KEYS", "*"}).size(), std::string("recent:3\nrecent:4").size());
  EXPECT_EQ(redis_.Command({"GET", "recent:3"}), R"({"id":3,"score":1})");
  EXPECT_EQ(redis_.Command({"GET", "recent:4"}), R"({"id":4,"score":2})");
  EXPECT_EQ(redis_.Command({"EXISTS", "recent:1"}), "0");
}

TEST_F(RedisSinkTest, XaddAppendsEveryRowWithItsChangeKind) {
  Users();
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Totals (name STRING, total BIGINT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='totals', 'command'='xadd');
INSERT INTO Totals SELECT name, sum(score) AS total FROM Users GROUP BY name;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --changelog");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"XLEN", "totals"}), "5");
  std::string all = redis_.Command({"XRANGE", "totals", "-", "+"});
  // Each entry: id, then op, kind, name, value, total, value.
  EXPECT_NE(all.find("op\n+I\nname\nann\ntotal\n10"), std::string::npos) << all;
  EXPECT_NE(all.find("op\n+U\nname\nann\ntotal\n17"), std::string::npos) << all;
}

TEST_F(RedisSinkTest, XaddKeepsDeletesAsEntriesOfTheStream) {
  Users();
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Recent (id INT, score INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='recent', 'command'='xadd');
INSERT ALL EVENTS INTO Recent SELECT id, score FROM Users WINDOW('length', 2);
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --changelog");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"XLEN", "recent"}), "8");  // 5 current events, 3 expired (-D)
  EXPECT_NE(redis_.Command({"XRANGE", "recent", "-", "+"}).find("op\n-D\nid\n1\n"),
            std::string::npos);
}

TEST_F(RedisSinkTest, HsetDeletesTheFieldOfANullAttribute) {
  std::ofstream(dir_ / "users.jsonl") << R"({"id":1,"name":"ann","score":10}
{"id":1,"name":"ann"}
)";
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Latest (id INT, name STRING, score INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='user:{id}', 'command'='hset');
INSERT INTO Latest SELECT * FROM Users;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"HGETALL", "user:1"}), "id\n1\nname\nann");
}

TEST_F(RedisSinkTest, ARowWithANullKeyIsCountedNotWrittenUnderATruncatedKey) {
  std::ofstream(dir_ / "users.jsonl") << R"({"id":1,"name":"ann"}
{"name":"nobody"}
)";
  App(R"(CREATE STREAM Users (id INT, name STRING)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Latest (id INT, name STRING)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='user:{id}');
INSERT INTO Latest SELECT * FROM Users;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"KEYS", "*"}), "user:1");
  EXPECT_NE(r.err.find("key attribute 'id' is NULL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("| sink Latest written=1 queued=0 batches=1 failed=1 "), std::string::npos)
      << r.err;
}

TEST_F(RedisSinkTest, PublishSendsEachRowToTheChannel) {
  Users();
  App(R"(CREATE STREAM Users (id INT, name STRING, score INT)
  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl', 'format'='json');
CREATE STREAM Scores (id INT, score INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='scores', 'command'='publish',
        'format'='csv');
INSERT INTO Scores SELECT id, score FROM Users;
)");
  redisContext* sub = redisConnect("127.0.0.1", redis_.port());
  ASSERT_TRUE(sub && !sub->err);
  redisReply* ok = static_cast<redisReply*>(redisCommand(sub, "SUBSCRIBE scores"));
  ASSERT_NE(ok, nullptr);
  freeReplyObject(ok);
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> messages;
  timeval tv{5, 0};
  redisSetTimeout(sub, tv);
  while (messages.size() < 5) {
    void* raw = nullptr;
    if (redisGetReply(sub, &raw) != REDIS_OK) break;
    auto* m = static_cast<redisReply*>(raw);
    if (m->type == REDIS_REPLY_ARRAY && m->elements == 3) messages.push_back(m->element[2]->str);
    freeReplyObject(m);
  }
  redisFree(sub);
  EXPECT_EQ(messages, (std::vector<std::string>{"1,10", "2,5", "1,7", "3,1", "4,2"}));
}

TEST_F(RedisSinkTest, BadConfigurationIsAnErrorNamingTheProperty) {
  App(R"(CREATE STREAM S (id INT, v INT);
CREATE STREAM Out (id INT, v INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='redis//localhost', 'key'='user:{idd}',
        'queue.full'='wait', 'batch.sise'='10');
INSERT INTO Out SELECT * FROM S;
)");
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is not a URL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'idd' is not an attribute (did you mean 'id'?)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'queue.full' must be 'block' or 'drop'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'batch.size'?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("app.sql:3:"), std::string::npos) << r.err;
}

TEST_F(RedisSinkTest, ANoServerAtTheUrlFailsTheRunAtOnce) {
  std::ofstream(dir_ / "s.jsonl") << R"({"id":1})"
                                  << "\n";
  redis_.Kill();
  App(R"(CREATE STREAM S (id INT) WITH ('type'='source', 'connector'='file', 'path'='s.jsonl');
CREATE STREAM Out (id INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='id', 'connect.timeout'='1s');
INSERT INTO Out SELECT * FROM S;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot connect to redis://127.0.0.1:"), std::string::npos) << r.err;
}

// The outage: events at 2,000/s for 3 s; the server is killed after the first writes and
// restarted 1.5 s later. Each event's own key (SET) shows nothing was lost; the XADD stream shows
// each event arrived at least once, and more than once only for a batch in doubt at the kill.
// The store is gone at the end: the shutdown drains until --shutdown-timeout, showing --stats
// meanwhile, then says what was not written.
TEST_F(RedisSinkTest, ADrainThatTimesOutShowsStatsAndCountsWhatIsLeft) {
  App(R"(CREATE STREAM Events (seq BIGINT, v INT)
  WITH ('type'='source', 'connector'='generator', 'count'='100', 'fields.seq'='sequence:0,1');
CREATE STREAM Cache (seq BIGINT, v INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='ev:{seq}',
        'retry.backoff.initial'='20ms', 'retry.backoff.max'='50ms');
INSERT INTO Cache SELECT * FROM Events;
)");
  redis_.Command({"CLIENT", "PAUSE", "100000", "WRITE"});  // reachable, but writes hang
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    redis_.Kill();
  });
  CommandResult r =
      RunIn(dir_, "run app.sql --quiet --stats --stats-interval 0.2 --shutdown-timeout 1.5s");
  killer.join();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("stats: draining "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("were not written before the shutdown timeout"), std::string::npos) << r.err;
}

TEST_F(RedisSinkTest, AnOutageLosesNothingAndTheBreakerOpensAndCloses) {
  App(R"(CREATE STREAM Events (seq BIGINT, v INT)
  WITH ('type'='source', 'connector'='generator', 'rate'='2000', 'count'='6000',
        'fields.seq'='sequence:0,1');
CREATE STREAM Cache (seq BIGINT, v INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='ev:{seq}',
        'batch.size'='50', 'retry.backoff.initial'='20ms', 'retry.backoff.max'='100ms',
        'circuit.breaker.threshold'='3', 'circuit.breaker.timeout'='300ms', 'queue.size'='500');
CREATE STREAM Log (seq BIGINT, v INT)
  WITH ('type'='sink', 'connector'='redis', 'url'='URL', 'key'='log', 'command'='xadd',
        'batch.size'='50', 'retry.backoff.initial'='20ms', 'retry.backoff.max'='100ms',
        'circuit.breaker.threshold'='3', 'circuit.breaker.timeout'='300ms');
INSERT INTO Cache SELECT * FROM Events;
INSERT INTO Log SELECT * FROM Events;
)");
  std::thread outage([&] {
    for (int i = 0; i < 500 && redis_.Command({"EXISTS", "ev:200"}) != "1"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    redis_.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(redis_.Start(), "");
  });
  CommandResult r = RunIn(dir_, "run app.sql --stats --stats-interval 0.2 --quiet");
  outage.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis_.Command({"DBSIZE"}), "6001");  // 6000 keys and the log
  std::string log = redis_.Command({"XRANGE", "log", "-", "+"});
  std::set<int64_t> seen;
  size_t entries = 0;
  for (size_t at = 0; (at = log.find("seq\n", at)) != std::string::npos; at += 4) {
    seen.insert(std::stoll(log.substr(at + 4)));
    ++entries;
  }
  EXPECT_EQ(seen.size(), 6000u);
  EXPECT_GE(entries, 6000u);
  EXPECT_LE(entries, 6000u + 50u);  // at most the one batch in doubt when the server died
  EXPECT_NE(r.err.find("circuit breaker open"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("circuit breaker closed"), std::string::npos) << r.err;
  // The final stats line: every event written, none failed, dropped or left.
  std::string last = r.err.substr(r.err.rfind("stats: "));
  EXPECT_NE(last.find("| sink Cache written=6000 queued=0 "), std::string::npos) << last;
  EXPECT_EQ(last.find("failed="), std::string::npos) << last;
  EXPECT_EQ(last.find("dropped="), std::string::npos) << last;
  EXPECT_NE(last.find("breaker=closed(opened "), std::string::npos) << last;
}

}  // namespace
