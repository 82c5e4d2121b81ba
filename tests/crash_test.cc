// The crash test of durable state: tests/crash/app.sql (windows, GROUP BY, a join, a pattern, a
// table, DISTINCT and an async stream, fed by one file, writing file sinks) runs with checkpoints
// every 20 ms and is killed with SIGKILL at random moments, then restarted, until its input is
// done. Its sink files must equal, byte for byte, those of a run that was never killed.
// SLUICE_CRASH_TRIALS (default 10) and SLUICE_CRASH_EVENTS (default 60000) size it; `make
// crash-test` runs 100 trials of 200000 events.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"

namespace fs = std::filesystem;
using sluice::testing::ReadAll;
using sluice::testing::SluiceBin;

namespace {

int64_t EnvInt(const char* name, int64_t dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : dflt;
}

// Reference rows for the join first, then trades: several symbols, prices that sometimes spike
// and crash (the pattern), volumes that repeat (DISTINCT, the running GROUP BY).
void WriteEvents(const fs::path& path, int64_t trades) {
  std::ofstream out(path);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 40; ++i)
    out << R"({"kind":"ref","symbol":"S)" << i << R"(","tag":"sector)" << i % 5 << R"(","ts":0})"
        << "\n";
  char line[160];
  for (int64_t i = 0; i < trades; ++i) {
    std::snprintf(line, sizeof line,
                  R"({"kind":"trade","symbol":"S%d","price":%.2f,"volume":%d,"ts":%lld})",
                  static_cast<int>(rng() % 40), static_cast<double>(rng() % 10100) / 100,
                  static_cast<int>(rng() % 100) + 1, static_cast<long long>(i * 5));
    out << line << "\n";
  }
}

struct Exit {
  bool killed = false;
  int code = -1;
};

// Runs sluice in `dir` with `args`; kills it with SIGKILL after `kill_after` unless it ended.
Exit RunSluice(const fs::path& dir, const std::vector<std::string>& args,
               std::chrono::microseconds kill_after) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    std::FILE* err = std::freopen("stderr.txt", "a", stderr);
    (void)err;
    std::vector<char*> argv;
    std::string bin = SluiceBin();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + kill_after;
  Exit e;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      e.killed = true;
      return e;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  e.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return e;
}

std::vector<std::string> SinkFiles(const fs::path& out) {
  std::vector<std::string> names;
  for (const auto& f : fs::directory_iterator(out)) names.push_back(f.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(CrashTest, KilledAtRandomMomentsAndRestartedTheSinksHoldEveryResultExactlyOnce) {
  const int64_t trials = EnvInt("SLUICE_CRASH_TRIALS", 10);
  const int64_t events = EnvInt("SLUICE_CRASH_EVENTS", 60000);
  fs::path dir = fs::temp_directory_path() / ("sluice_crash_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  fs::copy_file(fs::path(SLUICE_SOURCE_DIR) / "tests/crash/app.sql", dir / "app.sql");
  WriteEvents(dir / "events.jsonl", events);

  // The reference: one run, never killed, without checkpoints.
  auto start = std::chrono::steady_clock::now();
  Exit ref = RunSluice(dir, {"run", "app.sql", "--quiet"}, std::chrono::minutes(5));
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  ASSERT_EQ(ref.code, 0) << ReadAll(dir / "stderr.txt");
  fs::rename(dir / "out", dir / "ref");
  std::vector<std::string> files = SinkFiles(dir / "ref");
  ASSERT_GT(files.size(), 8u);  // seven sinks, one of them rolled into numbered files
  for (const std::string& f : files)
    ASSERT_GT(fs::file_size(dir / "ref" / f), 0u) << f << " is empty: the test would prove nothing";

  std::mt19937_64 rng(static_cast<uint64_t>(EnvInt("SLUICE_CRASH_SEED", 1)));
  // Kill times spread over a little more than a whole run, so that kills land everywhere: at
  // start-up, in the middle of a checkpoint, during the final flush.
  std::uniform_int_distribution<int64_t> kill_at(0, took.count() * 13 / 10);
  int64_t kills = 0;
  for (int64_t trial = 0; trial < trials; ++trial) {
    fs::remove_all(dir / "out");
    fs::remove_all(dir / "state");
    fs::create_directories(dir / "out");
    fs::remove(dir / "stderr.txt");
    Exit e;
    int runs = 0;
    do {
      ASSERT_LT(++runs, 500) << "trial " << trial << " never finished";
      e = RunSluice(
          dir,
          {"run", "app.sql", "--quiet", "--state-dir", "state", "--checkpoint-interval", "20ms"},
          std::chrono::microseconds(kill_at(rng)));
      kills += e.killed;
    } while (e.killed);
    ASSERT_EQ(e.code, 0) << "trial " << trial << ": " << ReadAll(dir / "stderr.txt");
    ASSERT_EQ(SinkFiles(dir / "out"), files);
    for (const std::string& f : files)
      ASSERT_TRUE(ReadAll(dir / "out" / f) == ReadAll(dir / "ref" / f))
          << "trial " << trial << " (" << runs - 1 << " kills): out/" << f
          << " differs from an uninterrupted run's";
  }
  EXPECT_GT(kills, trials / 2) << "too few kills landed: the test proved little";
  std::printf("crash test: %lld trials, %lld kills, every sink file identical\n",
              static_cast<long long>(trials), static_cast<long long>(kills));
  fs::remove_all(dir);
}

}  // namespace
