// The HTTP source through the CLI: `sluice run` listens on the source's port, takes POSTs of JSON
// lines, JSON arrays and CSV lines (202), rejects a malformed body whole (400, naming the line),
// and answers 503 with Retry-After while the stream's queue is full; what it accepted is all in
// the output.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "free_port.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::FreeLoopbackPort;
using sluice::testing::NonEmptyLines;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;
using sluice::testing::RunShell;

namespace {

class HttpSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = sluice::testing::FreshTestDir("sluice_http_src");
    port_ = FreeLoopbackPort();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // POSTs `body` to `path`, retrying while the app is still starting (no connection yet).
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type = "application/x-ndjson", int port = 0) {
    httplib::Client client("127.0.0.1", port ? port : port_);
    client.set_connection_timeout(std::chrono::milliseconds(200));
    for (int i = 0;; ++i) {
      httplib::Result r = client.Post(path, body, type);
      if (r || i == 100) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  fs::path dir_;
  int port_ = 0;
};

TEST_F(HttpSourceTest, TakesLinesArraysAndCsvAndRejectsAMalformedBodyWhole) {
  int csv_port = FreeLoopbackPort();
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Events (id INT, v DOUBLE)\n"
         "  WITH ('type'='source', 'connector'='http', 'port'='"
      << port_
      << "');\n"
         "CREATE STREAM Rows (id INT, v DOUBLE)\n"
         "  WITH ('type'='source', 'connector'='http', 'port'='"
      << csv_port
      << "', 'path'='/rows', 'format'='csv');\n"
         "CREATE STREAM Out (id INT, v DOUBLE)\n"
         "  WITH ('type'='sink', 'connector'='file', 'path'='out.jsonl');\n"
         "INSERT INTO Out SELECT * FROM Events;\n"
         "INSERT INTO Out SELECT * FROM Rows;\n";
  CommandResult run;
  std::thread app([&] { run = RunIn(dir_, "run app.sql --duration 3 --stats"); });
  httplib::Result lines = Post("/Events", "{\"id\":1,\"v\":1.5}\n{\"id\":2,\"v\":2.5}\n");
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->status, 202);
  EXPECT_EQ(lines->body, R"({"accepted":2})");
  httplib::Result array = Post("/Events", R"([{"id":3,"v":3.5}, [4, 4.5]])", "application/json");
  ASSERT_TRUE(array);
  EXPECT_EQ(array->status, 202);
  EXPECT_EQ(array->body, R"({"accepted":2})");
  httplib::Result bad = Post("/Events", "{\"id\":5,\"v\":5.5}\n{\"id\":\"six\"}\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("1 malformed event(s), nothing was taken: line 2: "), std::string::npos)
      << bad->body;
  httplib::Result csv = Post("/rows", "5,5.5\n", "text/csv", csv_port);
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 202);
  httplib::Result nowhere = Post("/Nope", "{\"id\":7}\n");
  ASSERT_TRUE(nowhere);
  EXPECT_EQ(nowhere->status, 404);
  app.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(
      NonEmptyLines(ReadAll(dir_ / "out.jsonl")),
      (std::vector<std::string>{R"({"id":1,"v":1.5})", R"({"id":2,"v":2.5})", R"({"id":3,"v":3.5})",
                                R"({"id":4,"v":4.5})", R"({"id":5,"v":5.5})"}));
  // The rejected request's bad event is counted and reported with where it came from.
  EXPECT_NE(run.err.find("Events=4(1 malformed)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("POST /Events from 127.0.0.1 line 2: "), std::string::npos) << run.err;
}

// The sink writes to a pipe nobody reads, so the stream stops taking events; the source's queue
// then fills and it answers 503 with Retry-After.
TEST_F(HttpSourceTest, AFullQueueAnswers503WithRetryAfter) {
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Events (id INT, s STRING)\n"
         "  WITH ('type'='source', 'connector'='http', 'port'='"
      << port_
      << "', 'queue.size'='2');\n"
         "CREATE STREAM Out (id INT, s STRING) WITH ('type'='sink', 'connector'='stdout');\n"
         "INSERT INTO Out SELECT * FROM Events;\n";
  CommandResult run;
  std::thread app(
      [&] { run = RunShell(dir_, "$SLUICE run app.sql --duration 3 --quiet | (sleep 4; wc -l)"); });
  std::string big;
  for (int i = 0; i < 3000; ++i)
    big += "{\"id\":" + std::to_string(i) + ",\"s\":\"" + std::string(100, 'x') + "\"}\n";
  httplib::Result first = Post("/Events", big);  // more than the pipe holds: the sink blocks
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202);
  int busy = 0;
  size_t accepted = 3000;
  std::string retry_after;
  for (int i = 0; i < 100 && busy == 0; ++i) {
    httplib::Result r = Post("/Events", "{\"id\":1,\"s\":\"a\"}\n{\"id\":2,\"s\":\"b\"}\n");
    ASSERT_TRUE(r);
    if (r->status == 503) {
      ++busy;
      retry_after = r->get_header_value("Retry-After");
      EXPECT_NE(r->body.find("is busy: its queue holds"), std::string::npos) << r->body;
    } else {
      EXPECT_EQ(r->status, 202);
      accepted += 2;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  app.join();
  EXPECT_EQ(busy, 1);
  EXPECT_EQ(retry_after, "1");
  // What was answered 202 is in the output, also what was still queued when the app stopped.
  EXPECT_EQ(std::stoul(run.out), accepted) << run.err;
}

TEST_F(HttpSourceTest, ASourceNeedsAPort) {
  std::ofstream(dir_ / "app.sql")
      << "CREATE STREAM Events (id INT) WITH ('type'='source', 'connector'='http', "
         "'path'='events', 'url'='http://x');\n"
         "INSERT INTO Out SELECT * FROM Events;\n";
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("an HTTP source needs a 'port' to listen on"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'path' starts with '/', got 'events'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'url' is for an HTTP sink, not a source"), std::string::npos) << r.err;
}

}  // namespace
