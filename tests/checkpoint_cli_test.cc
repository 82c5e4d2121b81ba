// Durable state through the CLI: `run --state-dir`, `sluice checkpoints [--verify]`, `check
// --state-dir` after an edit, `--fresh`, and the settings and flags that go with them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;

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
    dir_ = fs::temp_directory_path() /
           ("sluice_ckcli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
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
  EXPECT_NE(missing.err.find("'nowhere' is not a directory of checkpoints"), std::string::npos);
}

}  // namespace
