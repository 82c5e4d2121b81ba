// The HTTP sink through the CLI against an HTTP server the test runs on loopback (cpp-httplib):
// batches as a JSON array or as lines, headers, a server that answers 500 for a while, one that
// hangs past the timeout, and one that refuses the request (400).
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::RunIn;

namespace {

class HttpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = sluice::testing::FreshTestDir("sluice_http_e2e");
    std::ofstream f(dir_ / "users.jsonl");
    for (int i = 1; i <= 5; ++i)
      f << R"({"id":)" << i << R"(,"name":"u)" << i << R"(","score":)" << i * 10 << "}\n";
    server_.Post("/in", [this](const httplib::Request& req, httplib::Response& res) {
      int n = requests_.fetch_add(1);
      if (n < hang_first_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the client's timeout
        return;
      }
      if (n < hang_first_ + fail_first_) {
        res.status = 500;
        res.set_content("busy", "text/plain");
        return;
      }
      if (refuse_) {
        res.status = 400;
        res.set_content("bad field 'score'", "text/plain");
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(req.body);
      types_.push_back(req.get_header_value("Content-Type"));
      tokens_.push_back(req.get_header_value("X-Token"));
      res.status = 202;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
    fs::remove_all(dir_);
  }

  void App(const std::string& sink_properties) {
    std::ofstream(dir_ / "app.sql")
        << "CREATE STREAM Users (id INT, name STRING, score INT)\n"
           "  WITH ('type'='source', 'connector'='file', 'path'='users.jsonl');\n"
           "CREATE STREAM Out (id INT, score INT)\n"
           "  WITH ('type'='sink', 'connector'='http', 'url'='http://127.0.0.1:"
        << port_ << "/in'" << sink_properties
        << ");\n"
           "INSERT INTO Out SELECT id, score FROM Users;\n";
  }

  std::string AllRows() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string all;
    for (const auto& b : bodies_) all += b + "|";
    return all;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> hang_first_{0}, fail_first_{0};  // set by a test, read by the server's threads
  std::atomic<bool> refuse_{false};
  std::mutex mu_;
  std::vector<std::string> bodies_, types_, tokens_;
  fs::path dir_;
};

const char* kRows =
    R"([{"id":1,"score":10},{"id":2,"score":20},{"id":3,"score":30},{"id":4,"score":40},)"
    R"({"id":5,"score":50}]|)";

TEST_F(HttpSinkTest, PostsABatchAsAJsonArrayWithItsHeaders) {
  App(", 'header.X-Token'='secret'");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AllRows(), kRows);
  EXPECT_EQ(types_, std::vector<std::string>{"application/json"});
  EXPECT_EQ(tokens_, std::vector<std::string>{"secret"});
}

TEST_F(HttpSinkTest, LinesBodiesInBatchesOfBatchSize) {
  App(", 'body'='lines', 'format'='csv', 'batch.size'='2'");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AllRows(), "1,10\n2,20\n|3,30\n4,40\n|5,50\n|");
  EXPECT_EQ(types_[0], "text/csv");
}

TEST_F(HttpSinkTest, AServerAnswering500IsRetriedAndNothingIsLost) {
  fail_first_ = 3;
  App(", 'retry.backoff.initial'='10ms'");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AllRows(), kRows);
  EXPECT_NE(r.err.find("the server answered 500: busy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("| sink Out written=5 queued=0 batches=1 retried=3 "), std::string::npos)
      << r.err;
}

TEST_F(HttpSinkTest, AServerThatHangsTimesOutAndTheBatchIsSentAgain) {
  hang_first_ = 1;
  App(", 'timeout'='1s', 'retry.backoff.initial'='10ms'");
  CommandResult r = RunIn(dir_, "run app.sql --quiet --stats");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(AllRows(), kRows);
  EXPECT_NE(r.err.find("POST failed: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("retried=1 "), std::string::npos) << r.err;
}

TEST_F(HttpSinkTest, ARefusedRequestStopsTheAppWithTheServersAnswer) {
  refuse_ = true;
  App("");
  CommandResult r = RunIn(dir_, "run app.sql --quiet");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(
      r.err.find("the server answered 400: bad field 'score'; a batch of 5 event(s) was lost"),
      std::string::npos)
      << r.err;
}

TEST_F(HttpSinkTest, BadConfigurationIsAnErrorNamingTheProperty) {
  App(", 'body'='csv', 'header'='x', 'timeout'='soon'");
  CommandResult r = RunIn(dir_, "check app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'body' must be 'array' or 'lines', got 'csv'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown property 'header' for connector 'http'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("'timeout' needs a duration"), std::string::npos) << r.err;
}

}  // namespace
