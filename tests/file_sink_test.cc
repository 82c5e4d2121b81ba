// The file sink's rolling through the CLI: by size, between rows ('rolling.size'), into numbered
// files whose rows, in order, are the stream's; a CSV header in each file; by age
// ('rolling.interval'); a new run starting the files afresh; bad properties. (A roll
// undone by a restore is in the crash test, tests/crash/app.sql.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "test_files.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;

namespace {

class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = sluice::testing::FreshTestDir("sluice_file_sink"); }
  void TearDown() override { fs::remove_all(dir_); }
  void App(const std::string& sql) { std::ofstream(dir_ / "app.sql") << sql; }
  // The rolled files out-000001<ext>, out-000002<ext>... that there are, in order.
  std::vector<fs::path> Rolled(const std::string& ext) {
    std::vector<fs::path> files;
    for (int n = 1;; ++n) {
      char name[32];
      std::snprintf(name, sizeof name, "out-%06d", n);
      fs::path p = dir_ / (name + ext);
      if (!fs::exists(p)) return files;
      files.push_back(p);
    }
  }
  fs::path dir_;
};

TEST_F(FileSinkTest, RollsBySizeBetweenRowsAndTheFilesInOrderAreTheStream) {
  App(R"(CREATE STREAM In_ (id BIGINT, name STRING)
  WITH ('type'='source', 'connector'='generator', 'count'='1000', 'fields.id'='sequence:1,1');
CREATE STREAM Out (id BIGINT, name STRING)
  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl', 'rolling.size'='2KB');
CREATE STREAM All_ (id BIGINT, name STRING)
  WITH ('type'='sink', 'connector'='file', 'path'='all.jsonl');
INSERT INTO Out SELECT * FROM In_;
INSERT INTO All_ SELECT * FROM In_;
)");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> rolled = Rolled(".jsonl");
  ASSERT_GE(rolled.size(), 3u);
  std::string joined;
  for (const fs::path& p : rolled) {
    std::string text = ReadAll(p);
    EXPECT_GE(text.size(), 2048u) << p;  // full: at least the size...
    size_t last = text.rfind('\n', text.size() - 2);
    EXPECT_LT(last + 1, 2048u) << p;  // ...and rolled at the first row that reached it
    EXPECT_EQ(text.back(), '\n') << p;
    joined += text;
  }
  joined += ReadAll(dir_ / "out.jsonl");
  EXPECT_EQ(joined, ReadAll(dir_ / "all.jsonl"));
  // A new run starts the files afresh, as it does a file that does not roll.
  std::ofstream(dir_ / "out-000099.jsonl") << "not one of them\n";
  App(ReadAll(dir_ / "app.sql").replace(ReadAll(dir_ / "app.sql").find("'1000'"), 6, "'10'"));
  r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Rolled(".jsonl").size(), 0u);
  EXPECT_EQ(ReadAll(dir_ / "out.jsonl"), ReadAll(dir_ / "all.jsonl"));
  EXPECT_TRUE(fs::exists(dir_ / "out-000099.jsonl"));  // not in the sequence: left alone
}

TEST_F(FileSinkTest, EachRolledCsvFileHasItsHeaderAndAnOldFileRollsByAge) {
  App(R"(CREATE STREAM In_ (id INT)
  WITH ('type'='source', 'connector'='file', 'path'='in.jsonl', 'follow'='true');
CREATE STREAM Out (id INT)
  WITH ('type'='sink', 'connector'='file', 'path'='out.csv', 'format'='csv', 'header'='true',
        'rolling.interval'='300ms');
INSERT INTO Out SELECT * FROM In_;
)");
  std::ofstream(dir_ / "in.jsonl") << "{\"id\":1}\n{\"id\":2}\n";
  CommandResult r;
  std::thread app([&] { r = RunIn(dir_, "run app.sql --duration 2 --quiet"); });
  ASSERT_TRUE(sluice::testing::WaitForLines(dir_ / "out.csv", 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  sluice::testing::AppendTo(dir_ / "in.jsonl", "{\"id\":3}\n");
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> rolled = Rolled(".csv");
  ASSERT_EQ(rolled.size(), 1u);
  EXPECT_EQ(ReadAll(rolled[0]), "id\n1\n2\n");
  EXPECT_EQ(ReadAll(dir_ / "out.csv"), "id\n3\n");  // a header alone never rolls
}

TEST_F(FileSinkTest, BadRollingPropertiesAreErrorsAtTheirLine) {
  App(R"(CREATE STREAM In_ (id INT)
  WITH ('type'='source', 'connector'='file', 'path'='in.jsonl', 'rolling.size'='1MB');
CREATE STREAM Out (id INT)
  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl', 'rolling.size'='big',
        'rolling.interval'='soon');
CREATE STREAM Shown (id INT) WITH ('type'='sink', 'connector'='stdout', 'rolling.size'='1MB');
INSERT INTO Out SELECT * FROM In_;
INSERT INTO Shown SELECT * FROM In_;
)");
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("app.sql:2:65: error: 'rolling.size' is for a file sink"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'rolling.size' needs a size such as '64MB' or '512KB', got 'big'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'rolling.interval' needs a duration such as '1h' or '10 min', got 'soon'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("app.sql:6:"), std::string::npos) << r.err;
}

}  // namespace
