// The file source's 'follow' and 'wait.timeout' through the CLI: a file that grows (a line written
// in two parts included), is rotated (renamed, a new one created; the old one's last line had no
// newline) and is truncated (copytruncate) while the app runs; a file that appears after the
// app started; and a glob 'path', read file after file, resumed after a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::NonEmptyLines;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;
constexpr auto Append = sluice::testing::AppendTo;

namespace {

std::string Event(int id) { return "{\"id\":" + std::to_string(id) + "}"; }

class FileFollowTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = sluice::testing::FreshTestDir("sluice_follow"); }
  void TearDown() override { fs::remove_all(dir_); }
  // The app the tests run: In_ from a file source with the WITH properties `source` (its path and
  // more), copied into Out, a file sink writing out.jsonl.
  void WriteApp(const std::string& source) {
    std::ofstream(dir_ / "app.sql")
        << "CREATE STREAM In_ (id INT) WITH ('type'='source', 'connector'='file', " << source
        << ");\n"
           "CREATE STREAM Out (id INT) WITH ('type'='sink', 'connector'='file', "
           "'path'='out.jsonl');\n"
           "INSERT INTO Out SELECT * FROM In_;\n";
  }
  // Waits until the output holds `n` lines (the source has read up to there).
  bool OutputHas(size_t n) { return sluice::testing::WaitForLines(dir_ / "out.jsonl", n); }
  fs::path dir_;
};

TEST_F(FileFollowTest, FollowsGrowthRotationAndTruncation) {
  WriteApp("'path'='in.jsonl', 'follow'='true'");
  fs::path in = dir_ / "in.jsonl";
  Append(in, Event(1) + "\n" + Event(2) + "\n");
  CommandResult run;
  std::thread app([&] { run = RunIn(dir_, "run app.sql --duration 6 --quiet"); });
  EXPECT_TRUE(OutputHas(2));
  Append(in, Event(3) + "\n{\"id\"");  // half a line: it waits for the rest
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Append(in, ":4}\n" + Event(5));  // 5 has no newline yet
  EXPECT_TRUE(OutputHas(4));
  fs::rename(in, dir_ / "in.jsonl.1");  // rotation: 5 is the old file's last line
  Append(in, Event(6) + "\n" + Event(7) + "\n");
  EXPECT_TRUE(OutputHas(7));
  fs::resize_file(in, 0);  // copytruncate
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Append(in, Event(8) + "\n");
  EXPECT_TRUE(OutputHas(8));
  app.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> want;
  for (int id = 1; id <= 8; ++id) want.push_back(Event(id));
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")), want);
}

TEST_F(FileFollowTest, WaitTimeoutWaitsForTheFileToAppear) {
  WriteApp("'path'='later.jsonl', 'wait.timeout'='10s'");
  CommandResult run;
  std::thread app([&] { run = RunIn(dir_, "run app.sql --quiet"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Append(dir_ / "later.jsonl.tmp", Event(1) + "\n" + Event(2) + "\n");
  fs::rename(dir_ / "later.jsonl.tmp", dir_ / "later.jsonl");
  app.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Event(1), Event(2)}));
  WriteApp("'path'='never.jsonl', 'wait.timeout'='300ms'");
  CommandResult never = RunIn(dir_, "run app.sql --quiet");
  EXPECT_NE(never.exit_code, 0);
  EXPECT_NE(never.err.find("did not appear within 300 ms ('wait.timeout')"), std::string::npos)
      << never.err;
}

TEST_F(FileFollowTest, FollowIsForFileSources) {
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM In_ (id INT) WITH ('type'='source', 'connector'='stdin', "
         "'follow'='true');\n"
         "CREATE STREAM Out (id INT) WITH ('type'='sink', 'connector'='file', "
         "'path'='o.jsonl', 'wait.timeout'='yes');\n"
         "INSERT INTO Out SELECT * FROM In_;\n";
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'follow' is for a file source"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'wait.timeout' is for a file source"), std::string::npos) << r.err;
}

// A glob 'path': the files it matches, in the byte order of their names, each line reported with
// its own file; with a state dir, a restart goes on after the file and line it had read.
TEST_F(FileFollowTest, AGlobPathReadsTheFilesItMatchesInOrder) {
  Append(dir_ / "in-2.jsonl", Event(3) + "\nnot json\n" + Event(4));  // no newline at the end
  Append(dir_ / "in-1.jsonl", Event(1) + "\n");
  Append(dir_ / "in-10.jsonl", Event(2) + "\n");
  Append(dir_ / "other.jsonl", Event(99) + "\n");
  WriteApp("'path'='in-*.jsonl'");
  // --no-final-flush: an input that ended and fired everything takes no more events after a
  // restore (docs/state.md); this one stays open for the next file.
  CommandResult r = RunIn(dir_, "run app.sql --quiet --state-dir state --no-final-flush");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Event(1), Event(2), Event(3), Event(4)}));
  EXPECT_NE(r.err.find("stream In_: in-2.jsonl:2: "), std::string::npos) << r.err;
  // Restarted: the files it read are done; a new one after them is read.
  Append(dir_ / "in-3.jsonl", Event(5) + "\n");
  r = RunIn(dir_, "run app.sql --quiet --state-dir state --no-final-flush");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
            (std::vector<std::string>{Event(1), Event(2), Event(3), Event(4), Event(5)}));

  WriteApp("'path'='none-*.jsonl'");
  r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("stream 'In_': no file matches 'none-*.jsonl'"), std::string::npos) << r.err;
  WriteApp("'path'='in-*.jsonl', 'follow'='true'");
  r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.err.find("'follow' is for a 'path' that names one file"), std::string::npos) << r.err;
}

// A followed file whose last line has no newline yet when the app stops: said, not lost silently.
TEST_F(FileFollowTest, AStopWithALineHalfWrittenSaysSo) {
  Append(dir_ / "in.jsonl", Event(1) + "\n{\"id\"");
  WriteApp("'path'='in.jsonl', 'follow'='true'");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --duration 0.5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(NonEmptyLines(ReadAll(dir_ / "out.jsonl")), (std::vector<std::string>{Event(1)}));
  EXPECT_NE(r.err.find("stream 'In_': in.jsonl:2: stopped before this line ended (5 byte(s) "
                       "without a newline): not read"),
            std::string::npos)
      << r.err;
}

}  // namespace
