// `sluice run --http`: the server of a running app, from the outside, on the example app of
// docs/server.md.
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>

#include <unistd.h>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "free_port.h"

namespace {

namespace fs = std::filesystem;
using sluice::testing::CommandResult;
using sluice::testing::ReadAll;
using sluice::testing::RunIn;
using sluice::testing::RunShell;

// The first ```sql block of docs/server.md.
std::string DocsExample() {
  std::istringstream in(ReadAll(fs::path(SLUICE_SOURCE_DIR) / "docs" / "server.md"));
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```sql") {
      inside = true;
    } else if (inside && line.rfind("```", 0) == 0) {
      break;
    } else if (inside) {
      block += line + "\n";
    }
  }
  return block;
}

class ServerCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = sluice::testing::FreshTestDir("sluice_server_cli"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ServerCliTest, TheDocsExampleTakesEventsOverHttpAndAnswersPullQueries) {
  std::string app = DocsExample();
  ASSERT_NE(app.find("CREATE TABLE Totals"), std::string::npos) << app;
  std::ofstream(dir_ / "app.sql") << app;
  int port = sluice::testing::FreeLoopbackPort();
  CommandResult run;
  // The app runs until the test says stop (it has no source, so it would run on).
  std::thread runner([&] {
    run = RunShell(dir_, "\"$SLUICE\" run app.sql --http 127.0.0.1:" + std::to_string(port) +
                             " & pid=$!\n"
                             "for i in $(seq 1 600); do [ -f stop ] && break; sleep 0.05; done\n"
                             "kill -TERM $pid; wait $pid\n");
  });
  struct Finally {
    std::function<void()> f;
    ~Finally() { f(); }
  } finally{[&] {
    std::ofstream(dir_ / "stop") << "";
    if (runner.joinable()) runner.join();
  }};
  httplib::Client client("127.0.0.1", port);
  // The server answers from before the app has started (and opened its sinks): wait for both.
  httplib::Result up = client.Get("/api/app");
  for (int i = 0; i < 500 && (!up || up->body.find("\"sinks\":[{") == std::string::npos); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    up = client.Get("/api/app");
  }
  ASSERT_TRUE(up);
  EXPECT_NE(up->body.find("\"queries\":[{\"id\":\"BigOrders\""), std::string::npos) << up->body;
  EXPECT_NE(up->body.find("\"sinks\":[{\"stream\":\"Big\",\"connector\":\"file\""),
            std::string::npos)
      << up->body;

  // A tail of Big, started before the events it is to see (the server counts it); it ends after
  // two events, or when the app stops.
  std::string tail;
  std::thread tailer([&] {
    httplib::Client c("127.0.0.1", port);
    c.Get("/api/streams/Big/events?limit=2", [&](const char* data, size_t n) {
      tail.append(data, n);
      return true;
    });
  });
  struct JoinTail {
    std::thread* t;
    fs::path stop;
    ~JoinTail() {
      if (!t->joinable()) return;
      std::ofstream(stop) << "";
      t->join();
    }
  } join_tail{&tailer, dir_ / "stop"};
  for (int i = 0; i < 500; ++i) {
    httplib::Result app_now = client.Get("/api/app");
    if (app_now && app_now->body.find("\"server\":{\"tails\":1}") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto sent = client.Post("/api/streams/Orders",
                          "{\"id\":1,\"customer\":\"ann\",\"amount\":250}\n"
                          "{\"id\":2,\"customer\":\"bob\",\"amount\":20}\n"
                          "[3,\"ann\",120]\n",
                          "application/x-ndjson");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status, 202) << sent->body;
  auto bad =
      client.Post("/api/streams/Orders", "{\"id\":4,\"amount\":\"lots\"}", "application/x-ndjson");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  tailer.join();
  EXPECT_NE(tail.find("\"data\":{\"id\":1,\"customer\":\"ann\",\"amount\":250.0}}\n"),
            std::string::npos)
      << tail;
  EXPECT_NE(tail.find("\"data\":{\"id\":3,\"customer\":\"ann\",\"amount\":120.0}}\n"),
            std::string::npos)
      << tail;

  auto ann = client.Get("/api/tables/Totals?key=ann");
  ASSERT_TRUE(ann);
  EXPECT_EQ(ann->body,
            "{\"table\":\"Totals\",\"rows\":[{\"customer\":\"ann\",\"total\":370.0,\"orders\":2}],"
            "\"truncated\":false}\n");
  auto query = client.Get("/api/queries/Totals");
  ASSERT_TRUE(query);
  EXPECT_NE(query->body.find("\"counters\":{\"events_in\":3,"), std::string::npos) << query->body;

  // The same through `sluice query` and a piped `sluice shell`.
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  CommandResult q =
      RunIn(dir_, "query " + url + " \"SELECT total FROM Totals WHERE customer = 'ann'\"");
  EXPECT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(q.out, " total\n-------\n 370.0\n(1 row)\n");
  q = RunIn(dir_, "query " + url + " 'SELECT * FROM Nope'");
  EXPECT_EQ(q.exit_code, 1);
  EXPECT_NE(q.err.find("<statement>:1:15: error: no table 'Nope'"), std::string::npos) << q.err;
  q = RunShell(
      dir_,
      "printf 'SHOW QUERIES;\\nEXPLAIN ANALYZE\\n  BigOrders;\\nquit\\n' | \"$SLUICE\" shell " +
          url);
  EXPECT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find(" BigOrders | BigOrders | Orders | Big "), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("  Events in 3: taken 2, filtered 1,"), std::string::npos) << q.out;

  std::ofstream(dir_ / "stop") << "";
  runner.join();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("sources none (events over HTTP)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("api at http://127.0.0.1:" + std::to_string(port) + "/api/app"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("malformed event (POST /api/streams/Orders from 127.0.0.1 line 1): "
                         "'amount' is DOUBLE, got \"lots\""),
            std::string::npos)
      << run.err;
  EXPECT_EQ(ReadAll(dir_ / "big.jsonl"),
            "{\"id\":1,\"customer\":\"ann\",\"amount\":250.0}\n"
            "{\"id\":3,\"customer\":\"ann\",\"amount\":120.0}\n");
}

// The shell on a terminal: Tab completes, the up arrow recalls, Ctrl-D leaves.
TEST_F(ServerCliTest, TheShellOnATerminalCompletesAndRecalls) {
  std::ofstream(dir_ / "app.sql") << DocsExample();
  int fd = -1;
  pid_t pid = forkpty(&fd, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(dir_.c_str()) != 0) _exit(127);
    setenv("HOME", dir_.c_str(), 1);
    execl(sluice::testing::SluiceBin().c_str(), "sluice", "shell", "app.sql",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string seen;
  // Reads until `what` appears after offset `from` (or 10 s pass): where it ends, or npos.
  auto until = [&](const std::string& what, size_t from) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen.find(what, from) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
    size_t at = seen.find(what, from);
    return at == std::string::npos ? at : at + what.size();
  };
  auto type = [&](const std::string& keys) {
    ASSERT_EQ(write(fd, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  };
  constexpr size_t kNone = std::string::npos;
  size_t at = until("sluice> ", 0);
  ASSERT_NE(at, kNone) << seen;
  type("SHOW TAB\t;\r");
  at = until("(1 row)", at);
  ASSERT_NE(at, kNone) << seen;
  EXPECT_NE(seen.find("SHOW TABLES ;"), kNone) << seen;
  // The next prompt: the editor reads keys again.
  at = until("sluice> ", at);
  ASSERT_NE(at, kNone) << seen;
  type("\x1b[A\r");
  at = until("(1 row)", at);
  ASSERT_NE(at, kNone) << seen;
  ASSERT_NE(until("sluice> ", at), kNone) << seen;
  type("\x04");
  // It leaves at Ctrl-D; a shell that does not is stopped, and the test fails.
  int status = 0;
  for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << "the shell did not leave at Ctrl-D: " << seen;
  }
  close(fd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
  EXPECT_NE(ReadAll(dir_ / ".sluice_history").find("SHOW TABLES ;"), std::string::npos);
}

TEST_F(ServerCliTest, BadAddressesAndATokenWithoutAServerAreUsageErrors) {
  std::ofstream(dir_ / "app.sql") << DocsExample();
  CommandResult r = RunIn(dir_, "run app.sql --http nowhere:port");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--http: expected [host]:port with a port from 0 to 65535, got "
                       "'nowhere:port'"),
            std::string::npos)
      << r.err;
  r = RunIn(dir_, "run app.sql --http-token t");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--http-token requires --http"), std::string::npos) << r.err;
  r = RunIn(dir_, "run app.sql");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("send events over HTTP (--http)"), std::string::npos) << r.err;
}

TEST_F(ServerCliTest, ATokenIsNeededForTheApiButNotForHealth) {
  std::ofstream(dir_ / "app.sql") << DocsExample();
  int port = sluice::testing::FreeLoopbackPort();
  CommandResult run;
  std::thread runner([&] {
    run = RunIn(dir_, "run app.sql --quiet --duration 3 --http-token t0k --http 127.0.0.1:" +
                          std::to_string(port));
  });
  httplib::Client client("127.0.0.1", port);
  httplib::Result health = client.Get("/health");
  for (int i = 0; i < 200 && !health; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    health = client.Get("/health");
  }
  httplib::Result denied = client.Get("/api/app");
  httplib::Result allowed = client.Get("/api/app", {{"Authorization", "Bearer t0k"}});
  runner.join();  // whatever was answered, the run ends by itself
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

}  // namespace
