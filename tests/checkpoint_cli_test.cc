// Durable state through the CLI: `run --state-dir`, `sluice checkpoints [--verify]`, `check
// --state-dir` after an edit, `--fresh`, and the settings and flags that go with them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"
#include "kafka_mock.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;
using sluice::testing::RunShell;

namespace {

const char* kApp = R"(SET 'checkpoint.retain' = '2';
CREATE STREAM Trades (symbol STRING, volume INT, ts BIGINT)
WITH ('type'='source', 'connector'='file', 'path'='trades.jsonl', 'format'='json',
      'event.time.field'='ts', 'event.time.format'='epoch_millis');
CREATE STREAM Totals (symbol STRING, total BIGINT)
WITH ('type'='sink', 'connector'='file', 'path'='totals.jsonl', 'format'='json');
@info(name='totals')
INSERT INTO Totals SELECT symbol, sum(volume) AS total FROM Trades WINDOW TUMBLING(1 SECOND)
GROUP BY symbol;
)";

class CheckpointCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = sluice::testing::FreshTestDir("sluice_ckcli");
    std::ofstream(dir_ / "app.sql") << kApp;
    std::ofstream trades(dir_ / "trades.jsonl");
    for (int i = 0; i < 3000; ++i)
      trades << R"({"symbol":"S)" << i % 7 << R"(","volume":)" << i % 13 << R"(,"ts":)" << i * 3
             << "}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CheckpointCliTest, ARunKeepsItsStateAndARestartOfAFinishedInputAddsNothing) {
  CommandResult first = RunIn(dir_, "run app.sql --quiet --state-dir state");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string totals = ReadAll(dir_ / "totals.jsonl");
  ASSERT_FALSE(totals.empty());
  CommandResult list = RunIn(dir_, "checkpoints state --verify");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("checkpoint 1 "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("verified"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("query:totals"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("source:Trades"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("at offset="), std::string::npos) << list.out;
  // The input was read to its end and every window fired: a restart restores that and adds
  // nothing; the sink file stays as it was.
  CommandResult second = RunIn(dir_, "run app.sql --quiet --state-dir state");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("restored checkpoint 1"), std::string::npos) << second.err;
  EXPECT_EQ(ReadAll(dir_ / "totals.jsonl"), totals);
  // --fresh ignores the state: the same output again, from the start.
  CommandResult fresh = RunIn(dir_, "run app.sql --quiet --state-dir state --fresh");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(ReadAll(dir_ / "totals.jsonl"), totals);
  // SET 'checkpoint.retain' = '2': the oldest of three is gone.
  list = RunIn(dir_, "checkpoints state");
  EXPECT_EQ(list.out.find("checkpoint 1 "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("checkpoint 3 "), std::string::npos) << list.out;
}

TEST_F(CheckpointCliTest, ACorruptCheckpointIsNamedByVerifyAndSkippedByRun) {
  ASSERT_EQ(RunIn(dir_, "run app.sql --quiet --state-dir state").exit_code, 0);
  ASSERT_EQ(RunIn(dir_, "run app.sql --quiet --state-dir state").exit_code, 0);
  {
    std::fstream f(dir_ / "state/chk-0000000002/p1.zst",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(28);
    f.put('\x42');
  }
  CommandResult verify = RunIn(dir_, "checkpoints state --verify");
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.out.find("checkpoint 2: BAD:"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("p1.zst (state of 'query:totals') is corrupt"), std::string::npos)
      << verify.out;
  CommandResult run = RunIn(dir_, "run app.sql --quiet --state-dir state");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("checkpoint skipped"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("restored checkpoint 1"), std::string::npos) << run.err;
}

TEST_F(CheckpointCliTest, CheckSaysWhatAnEditKeepsAndRunRefusesWhatItWouldLose) {
  ASSERT_EQ(RunIn(dir_, "run app.sql --quiet --state-dir state").exit_code, 0);
  CommandResult same = RunIn(dir_, "check app.sql --state-dir state");
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("query totals: restored"), std::string::npos) << same.out;
  std::string edited = kApp;
  edited.replace(edited.find("TUMBLING(1 SECOND)"), 18, "TUMBLING(2 SECONDS)");
  std::ofstream(dir_ / "edited.sql") << edited;
  CommandResult check = RunIn(dir_, "check edited.sql --state-dir state");
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("query totals: CANNOT BE RESTORED"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("TUMBLING(2 SECONDS)"), std::string::npos) << check.out;
  CommandResult refused = RunIn(dir_, "run edited.sql --quiet --state-dir state");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--allow-state-drop"), std::string::npos) << refused.err;
  CommandResult allowed =
      RunIn(dir_, "run edited.sql --quiet --state-dir state --allow-state-drop");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_NE(allowed.err.find("state dropped: query 'totals'"), std::string::npos) << allowed.err;
}

// A CSV file that grows between runs (kept open with --no-final-flush): the resumed source reads
// its header again (after a blank line, as the first run found it) and goes on from where the
// checkpoint was. Without --no-final-flush the input ended: more of it is refused, saying why.
TEST_F(CheckpointCliTest, AGrowingCsvFileResumesAfterItsHeader) {
  std::ofstream(dir_ / "csv.sql")
      << "CREATE STREAM Rows (k STRING, v INT) WITH ('type'='source', 'connector'='file', "
         "'path'='in.csv', 'format'='csv', 'header'='true');\n"
         "CREATE STREAM Out (k STRING, total BIGINT) WITH ('type'='sink', 'connector'='file', "
         "'path'='out.jsonl', 'format'='json');\n"
         "@info(name='sums') INSERT INTO Out SELECT k, sum(v) AS total FROM Rows GROUP BY k;\n";
  std::ofstream(dir_ / "in.csv") << "\nv,k\n1,a\n2,b\n";
  ASSERT_EQ(RunIn(dir_, "run csv.sql --quiet --no-final-flush --state-dir state").exit_code, 0);
  std::ofstream(dir_ / "in.csv", std::ios::app) << "3,a\n";
  CommandResult second = RunIn(dir_, "run csv.sql --quiet --no-final-flush --state-dir state");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(ReadAll(dir_ / "out.jsonl"),
            "{\"k\":\"a\",\"total\":1}\n{\"k\":\"b\",\"total\":2}\n{\"k\":\"a\",\"total\":4}\n");
  ASSERT_EQ(RunIn(dir_, "run csv.sql --quiet --state-dir state").exit_code, 0);  // ends it
  std::ofstream(dir_ / "in.csv", std::ios::app) << "4,b\n";
  CommandResult ended = RunIn(dir_, "run csv.sql --quiet --state-dir state");
  EXPECT_EQ(ended.exit_code, 1);
  EXPECT_NE(ended.err.find("the input had ended"), std::string::npos) << ended.err;
  EXPECT_NE(ended.err.find("--no-final-flush"), std::string::npos) << ended.err;
}

// A source's or sink's position is state too: renaming the stream, or pointing it at another
// file, would lose it (a source starting again, a sink written afresh) or misapply it.
TEST_F(CheckpointCliTest, RenamedOrRepointedSourcesAndSinksAreRefusedLikeQueries) {
  ASSERT_EQ(RunIn(dir_, "run app.sql --quiet --no-final-flush --state-dir state").exit_code, 0);
  auto edit = [&](const std::string& from, const std::string& to, const std::string& file) {
    std::string text = kApp;
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
    std::ofstream(dir_ / file) << text;
  };
  edit("Trades", "Ticks", "source.sql");
  CommandResult source = RunIn(dir_, "check source.sql --state-dir state");
  EXPECT_EQ(source.exit_code, 1);
  EXPECT_NE(source.out.find("source Trades: DROPPED: the app no longer has this source"),
            std::string::npos)
      << source.out;
  CommandResult refused = RunIn(dir_, "run source.sql --quiet --state-dir state");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot restore checkpoint 1"), std::string::npos) << refused.err;
  edit("Totals (symbol", "Totals2 (symbol", "sink.sql");
  CommandResult sink = RunIn(dir_, "check sink.sql --state-dir state");
  EXPECT_EQ(sink.exit_code, 1);
  EXPECT_NE(sink.out.find("sink Totals: DROPPED"), std::string::npos) << sink.out;
  edit("'totals.jsonl'", "'other.jsonl'", "path.sql");
  CommandResult path = RunIn(dir_, "check path.sql --state-dir state");
  EXPECT_EQ(path.exit_code, 1);
  EXPECT_NE(path.out.find("sink Totals: CANNOT BE RESTORED: its position bytes="),
            std::string::npos)
      << path.out;
  EXPECT_NE(path.out.find("path=totals.jsonl"), std::string::npos) << path.out;
  CommandResult same = RunIn(dir_, "check app.sql --state-dir state");
  EXPECT_EQ(same.exit_code, 0) << same.out;
  EXPECT_NE(same.out.find("source Trades: restored: at offset="), std::string::npos) << same.out;
}

TEST_F(CheckpointCliTest, BadFlagsAndSettingsAreClearErrors) {
  CommandResult no_dir = RunIn(dir_, "run app.sql --checkpoint-interval 5s");
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_NE(no_dir.err.find("--checkpoint-interval needs --state-dir"), std::string::npos);
  CommandResult bad = RunIn(dir_, "run app.sql --state-dir s --checkpoint-interval soon");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("needs a duration such as '10s'"), std::string::npos) << bad.err;
  std::ofstream(dir_ / "bad.sql") << "SET 'checkpoint.interval' = 'often';\n" << kApp;
  CommandResult setting = RunIn(dir_, "check bad.sql");
  EXPECT_EQ(setting.exit_code, 1);
  EXPECT_NE(setting.err.find("bad.sql:1:29: error: SET 'checkpoint.interval' needs a duration"),
            std::string::npos)
      << setting.err;
  CommandResult missing = RunIn(dir_, "checkpoints nowhere");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("'nowhere' does not exist"), std::string::npos);
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(RunIn(dir_, "checkpoints empty --verify").exit_code, 1);  // nothing verified
  CommandResult fresh = RunIn(dir_, "run app.sql --fresh");
  EXPECT_EQ(fresh.exit_code, 2);
  EXPECT_NE(fresh.err.find("--fresh needs --state-dir"), std::string::npos) << fresh.err;
}

// A Kafka source resumes at the checkpoint's offsets, whatever its group committed: killed with
// SIGKILL twice and restarted, the app's sink holds what a run that was never killed wrote. Each
// run joins a new consumer group, so that the checkpoint alone says where to resume (and no run
// waits for a killed member's session to time out).
TEST_F(CheckpointCliTest, AKafkaSourceResumesAtTheCheckpointsOffsets) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "librdkafka is not instrumented for ThreadSanitizer";
#endif
  sluice::testing::MockKafka kafka;
  ASSERT_TRUE(kafka.ok());
  const std::string& bootstraps = kafka.bootstraps();
  ASSERT_TRUE(kafka.CreateTopic("trades"));
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(kafka.Produce("trades", R"({"symbol":"S)" + std::to_string(i % 7) +
                                            R"(","volume":)" + std::to_string(i % 13) +
                                            R"(,"ts":)" + std::to_string(i * 3) + "}"));
  }
  ASSERT_TRUE(kafka.Flush());
  auto app = [&](const std::string& group) {
    std::string text = kApp;
    text.replace(text.find("'connector'='file', 'path'='trades.jsonl'"), 41,
                 "'connector'='kafka', 'topic'='trades', 'bootstrap.servers'='" + bootstraps +
                     "', 'group.id'='" + group + "'");
    std::ofstream(dir_ / (group + ".sql")) << text;
    return group + ".sql";
  };
  // The reference: one run that reads everything, then stops (the open window stays open).
  CommandResult ref = RunIn(dir_, "run " + app("ref") + " --quiet --duration 6");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  std::string expected = ReadAll(dir_ / "totals.jsonl");
  ASSERT_FALSE(expected.empty());
  fs::remove(dir_ / "totals.jsonl");
  // Killed twice while it reads, then a run that stops by itself.
  CommandResult killed = RunShell(
      dir_, "timeout -s KILL 5 $SLUICE run " + app("g1") +
                " --quiet --state-dir state --checkpoint-interval 50ms; "
                "timeout -s KILL 5 $SLUICE run " +
                app("g2") + " --quiet --state-dir state --checkpoint-interval 50ms; exit 0");
  ASSERT_EQ(killed.exit_code, 0) << killed.err;
  CommandResult list = RunIn(dir_, "checkpoints state");
  EXPECT_NE(list.out.find("source:Trades"), std::string::npos) << list.out << killed.err;
  EXPECT_NE(list.out.find("at 0="), std::string::npos) << list.out;
  CommandResult last = RunIn(dir_, "run " + app("g3") + " --quiet --state-dir state --duration 6");
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_NE(last.err.find("restored checkpoint"), std::string::npos) << last.err;
  EXPECT_TRUE(ReadAll(dir_ / "totals.jsonl") == expected)
      << "the sink after two kills differs from the uninterrupted run's";
}

}  // namespace
