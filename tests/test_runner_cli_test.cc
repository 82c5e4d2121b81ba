// `sluice test` and `replay --expect`, through the CLI: the examples pass, a failing test shows
// its diff and exits with 1, a broken test file exits with 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::RunIn;

class TestRunnerCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = sluice::testing::FreshTestDir("sluice_test_runner"); }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  fs::path dir_;
};

TEST_F(TestRunnerCliTest, TheExamplesPass) {
  CommandResult r = RunIn(SLUICE_SOURCE_DIR, "test examples/tests");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS  examples/tests/price_rises.test\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 passed, 0 failed\n"), std::string::npos) << r.out;
}

TEST_F(TestRunnerCliTest, AFailingTestShowsWhatDiffersAndExitsWithOne) {
  Write("t.test",
        "APP\n"
        "CREATE STREAM S (k STRING, v INT);\n"
        "INSERT INTO O SELECT k, v * 2 AS w FROM S WHERE v > 0;\n"
        "\n"
        "INPUT\n"
        "{\"stream\":\"S\",\"ts\":1,\"data\":{\"k\":\"a\",\"v\":1}}\n"
        "{\"stream\":\"S\",\"ts\":2,\"data\":{\"k\":\"b\",\"v\":-1}}\n"
        "{\"stream\":\"S\",\"ts\":3,\"data\":{\"k\":\"c\",\"v\":3}}\n"
        "\n"
        "EXPECT O\n"
        "{\"k\": \"a\", \"w\": 2}\n"
        "{\"k\": \"b\", \"w\": -2}\n"
        "{\"w\": 6, \"k\": \"c\"}\n"
        "EXPECT O UNORDERED\n"
        "{\"k\":\"c\",\"w\":6}\n"
        "{\"k\":\"a\",\"w\":2}\n");
  CommandResult r = RunIn(dir_, "test t.test");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out,
            "FAIL  t.test\n"
            "  EXPECT O (line 10): 2 row(s), not as expected\n"
            "      line 11: {\"k\": \"a\", \"w\": 2}\n"
            "    - line 12: {\"k\": \"b\", \"w\": -2}\n"
            "      line 13: {\"w\": 6, \"k\": \"c\"}\n"
            "\n"
            "0 passed, 1 failed\n");
}

TEST_F(TestRunnerCliTest, AnAppErrorGivesTheTestFilesLinesAndExpectErrorChecksIt) {
  Write("bad.test",
        "-- a comment\nAPP\nCREATE STREAM S (x INT);\nINSERT INTO O SELECT y FROM S;\n"
        "EXPECT O\n");
  CommandResult r = RunIn(dir_, "test bad.test");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("the app did not load:\nbad.test:4:22: error: unknown attribute 'y'"),
            std::string::npos)
      << r.out;
  Write("refused.test",
        "APP\nCREATE STREAM S (x INT);\nINSERT INTO O SELECT y FROM S;\n"
        "EXPECT ERROR\nunknown attribute 'y'\nsomething it does not say\n");
  r = RunIn(dir_, "test refused.test");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("  line 6: the error does not say: something it does not say\n"),
            std::string::npos)
      << r.out;
}

TEST_F(TestRunnerCliTest, BrokenTestFilesAreErrorsWithTheirLine) {
  Write("a.test", "APP\nCREATE STREAM S (x INT);\nEXPECT Nope\n");
  Write("b.test", "INPUT\n{}\n");
  Write("c.test", "{\"stream\":\"S\"}\n");
  Write("d.test", "APP\nCREATE STREAM S (x INT);\nADVANCE TO soon\n");
  // A misspelt header is no silent part of the one before, and a test must expect something.
  Write("e.test",
        "APP app.sql\nINPUTS\n{\"stream\":\"S\",\"ts\":1,\"data\":{\"x\":1}}\nEXPECT S\n");
  Write("app.sql", "CREATE STREAM S (x INT);\n");
  Write("f.test", "APP app.sql\nINPUT\nEXPECTED S\n{\"x\":1}\n");
  Write("g.test", "APP app.sql\nINPUT\n{\"stream\":\"S\",\"ts\":1,\"data\":{\"x\":1}}\n");
  CommandResult r = RunIn(dir_, "test .");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("a.test:3: EXPECT Nope: the app has no stream or table 'Nope'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("b.test:1: no APP"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c.test:1: expected APP, INPUT"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("d.test:3: expected ADVANCE TO <milliseconds>"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("e.test:2: 'APP app.sql' takes no lines under it, got 'INPUTS'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("f.test:3: 'EXPECTED S' is neither an event"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("g.test:1: no EXPECT: the test would check nothing"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("0 passed, 0 failed, 7 could not run"), std::string::npos) << r.out;
  r = RunIn(dir_, "test missing.test");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(TestRunnerCliTest, ReplayExpectComparesAndStreamsFilters) {
  std::string c = std::string(SLUICE_E2E_DIR) + "/pattern_every_within/";
  CommandResult r =
      RunIn(dir_, "replay " + c + "app.sql " + c + "input.jsonl --expect " + c + "expected.jsonl");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the output is as " + c + "expected.jsonl expects (7 rows)"),
            std::string::npos)
      << r.err;
  r = RunIn(dir_, "replay " + c + "app.sql " + c + "input.jsonl --streams Rises");
  EXPECT_EQ(r.out,
            "{\"stream\":\"Rises\",\"ts\":4000,\"data\":{\"symbol\":\"X\",\"p1\":101.0,\"p2\":"
            "120.0}}\n"
            "{\"stream\":\"Rises\",\"ts\":21000,\"data\":{\"symbol\":\"X\",\"p1\":130.0,\"p2\":"
            "150.0}}\n");
  Write("wrong.jsonl",
        "{\"stream\":\"Rises\",\"ts\":4000,\"data\":{\"symbol\":\"X\",\"p1\":101,"
        "\"p2\":120}}\n");
  r = RunIn(dir_,
            "replay " + c + "app.sql " + c + "input.jsonl --streams Rises --expect wrong.jsonl");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("    + {\"stream\":\"Rises\",\"ts\":21000,"), std::string::npos) << r.err;
  r = RunIn(dir_, "replay " + c + "app.sql " + c + "input.jsonl --streams Nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--streams: the app has no stream 'Nope'"), std::string::npos) << r.err;
}

}  // namespace
