// Checkpoints of a live app through the C++ API (AppOptions::state_dir, Checkpoint()): a restore
// carries on exactly where the checkpoint was taken, a failed write is counted and leaves the app
// running, a corrupt checkpoint falls back to the previous one, and an edited app is told which
// state it keeps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/engine.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// Event time from `ts`: windows close by the events, so results do not depend on timing.
const char* kApp = R"(
CREATE STREAM S (k STRING, v INT, ts BIGINT)
WITH ('event.time.field'='ts', 'event.time.format'='epoch_millis');
@Async(buffer_size='4', batch_size_max='8')
CREATE STREAM Hot (k STRING, v INT, ts BIGINT);
@info(name='totals')
INSERT INTO Totals SELECT k, sum(v) AS total, count() AS n FROM S WINDOW TUMBLING(100 ms) GROUP BY k;
@info(name='distinct')
INSERT INTO Pairs SELECT DISTINCT k, v FROM S WHERE v > 5;
INSERT INTO Hot SELECT k, v, ts FROM S WHERE v > 7;
@info(name='hot')
INSERT INTO HotCounts SELECT k, count() AS n FROM Hot GROUP BY k;
)";

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sluice_ckpt_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<AppRuntime> Open(const std::string& text = kApp, AppOptions opts = {}) {
    opts.state_dir = dir_;
    opts.checkpoint_interval_ms = -1;  // only when asked
    if (!opts.env) opts.env = env_;
    auto app = AppRuntime::Load(text, opts);
    EXPECT_TRUE(app.ok()) << app.status().message();
    if (!app.ok()) return nullptr;
    // HotCounts comes from the async stream's worker, the rest from the sender: each stream's
    // rows are in order, not the streams among themselves.
    (*app)->AddOutputCallback([this](const OutputBatch& out) {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t r = 0; r < out.batch->num_rows(); ++r) {
        std::string row = "@" + std::to_string(out.batch->timestamp(r));
        for (size_t c = 0; c < out.batch->num_columns(); ++c)
          row += " " + out.batch->column(c).GetValue(r).ToString();
        seen_[std::string(out.stream)].push_back(row);
      }
    });
    return std::move(app).value();
  }

  // Events `from` to `to`, in batches of 7 (so that async batches are in flight).
  static void Send(AppRuntime* app, int from, int to) {
    InputHandler* in = app->GetInputHandler("S");
    Batch b(in->schema());
    for (int i = from; i < to; ++i) {
      size_t r = b.AddRow(0);
      b.SetString(r, 0, "k" + std::to_string(i % 5));
      b.column(1).SetInt(r, i % 11);
      b.column(2).SetInt(r, i * 10);
      if (b.num_rows() == 7 || i + 1 == to) {
        ASSERT_TRUE(in->SendBatch(b).ok());
        b.Clear();
      }
    }
  }

  // What each stream got after its first `from` rows (streams that got nothing left out).
  std::map<std::string, std::vector<std::string>> Since(const std::map<std::string, size_t>& from) {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [stream, rows] : seen_) {
      auto it = from.find(stream);
      size_t skip = it == from.end() ? 0 : it->second;
      if (skip < rows.size())
        out[stream].assign(rows.begin() + static_cast<long>(skip), rows.end());
    }
    return out;
  }
  std::map<std::string, size_t> Counts() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, size_t> n;
    for (const auto& [stream, rows] : seen_) n[stream] = rows.size();
    return n;
  }

  fs::path dir_;
  Env* env_ = nullptr;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> seen_;
};

TEST_F(CheckpointTest, ARestoreCarriesOnExactlyWhereTheCheckpointWasTaken) {
  // The uninterrupted run, with a checkpoint after event 500 of 1000.
  std::map<std::string, std::vector<std::string>> after_checkpoint;
  {
    auto app = Open();
    ASSERT_TRUE(app->Start().ok());
    Send(app.get(), 0, 500);
    auto id = app->Checkpoint();
    ASSERT_TRUE(id.ok()) << id.status().message();
    EXPECT_EQ(*id, 1u);
    std::map<std::string, size_t> before = Counts();
    Send(app.get(), 500, 1000);
    ASSERT_TRUE(app->FinishInput().ok());
    ASSERT_TRUE(app->Shutdown().ok());
    after_checkpoint = Since(before);
    AppStats stats = app->Stats();
    EXPECT_TRUE(stats.checkpoints.enabled);
    EXPECT_EQ(stats.checkpoints.completed, 2u);  // and one at shutdown
    EXPECT_GT(stats.checkpoints.last_bytes, 0u);
  }
  // Every DISTINCT pair was seen before the checkpoint: Pairs gets nothing after it.
  ASSERT_EQ(after_checkpoint.size(), 3u);  // Totals, Hot, HotCounts
  ASSERT_GT(after_checkpoint.at("Totals").size(), 10u);
  ASSERT_GT(after_checkpoint.at("HotCounts").size(), 10u);
  // Checkpoint 2 (taken at shutdown) is removed, so that 1 is the newest: the restart resends
  // what came after it, as a source would from its position.
  fs::remove_all(dir_ / "chk-0000000002");
  seen_.clear();
  auto app = Open();
  ASSERT_TRUE(app->Start().ok());
  EXPECT_EQ(app->Stats().checkpoints.restored_id, 1u);
  Send(app.get(), 500, 1000);
  ASSERT_TRUE(app->FinishInput().ok());
  ASSERT_TRUE(app->Shutdown().ok());
  EXPECT_EQ(Since({}), after_checkpoint);
}

// Makes every file write fail while `failing` is set, as a full disk does.
class FullDisk : public EnvWrapper {
 public:
  FullDisk() : EnvWrapper(Env::Default()) {}
  Status WriteFile(const std::string& path, std::string_view data) override {
    if (failing) return Status::IoError("cannot write '" + path + "': No space left on device");
    return EnvWrapper::WriteFile(path, data);
  }
  bool failing = false;
};

TEST_F(CheckpointTest, AFailedWriteIsCountedAndTheAppRunsOn) {
  FullDisk disk;
  env_ = &disk;
  auto app = Open();
  ASSERT_TRUE(app->Start().ok());
  Send(app.get(), 0, 100);
  ASSERT_TRUE(app->Checkpoint().ok());
  disk.failing = true;
  auto failed = app->Checkpoint();
  EXPECT_NE(failed.status().message().find("No space left"), std::string::npos);
  Send(app.get(), 100, 200);  // the app runs on
  EXPECT_TRUE(app->status().ok());
  AppStats stats = app->Stats();
  EXPECT_EQ(stats.checkpoints.completed, 1u);
  EXPECT_EQ(stats.checkpoints.failed, 1u);
  EXPECT_NE(stats.checkpoints.last_error.find("No space left"), std::string::npos);
  disk.failing = false;
  auto retried = app->Checkpoint();
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(*retried, 3u);  // the failed one's id is not reused
  ASSERT_TRUE(app->Shutdown().ok());
}

TEST_F(CheckpointTest, ACorruptNewestCheckpointFallsBackToThePreviousOne) {
  {
    auto app = Open();
    ASSERT_TRUE(app->Start().ok());
    Send(app.get(), 0, 100);
    ASSERT_TRUE(app->Checkpoint().ok());
    Send(app.get(), 100, 200);
    ASSERT_TRUE(app->Shutdown().ok());  // checkpoint 2
  }
  {
    std::fstream f(dir_ / "chk-0000000002" / "p1.zst",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x55');
  }
  auto app = Open();
  ASSERT_TRUE(app->Start().ok());
  EXPECT_EQ(app->Stats().checkpoints.restored_id, 1u);
  ASSERT_TRUE(app->Shutdown().ok());
}

// A loop of async streams may never come to rest: a checkpoint stops its workers between
// batches and saves what is in flight, so that nothing is lost and nothing done twice.
TEST_F(CheckpointTest, WhatALoopHasInFlightIsSavedAndGoesOnAfterARestore) {
  const std::string loop = R"(
@Async(buffer_size='2')
CREATE STREAM Jobs (id INT, n INT);
INSERT INTO Jobs SELECT id, n - 1 AS n FROM Jobs WHERE n > 0;
@info(name='finished')
INSERT INTO Finished SELECT id, count() AS laps FROM Jobs WHERE n = 0 GROUP BY id;
)";
  auto finished = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = seen_.find("Finished");
    return it == seen_.end() ? std::vector<std::string>() : it->second;
  };
  auto wait_for_three = [&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (finished().size() < 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  // The uninterrupted run, with a checkpoint right after the jobs were sent: long before any
  // of them is done, so that everything it finished came after the checkpoint.
  std::vector<std::string> uninterrupted;
  {
    auto app = Open(loop);
    ASSERT_TRUE(app->Start().ok());
    InputHandler* jobs = app->GetInputHandler("Jobs");
    for (int id = 0; id < 3; ++id) ASSERT_TRUE(jobs->Send(0, {id, 200000 + id}).ok());
    auto id = app->Checkpoint();
    ASSERT_TRUE(id.ok()) << id.status().message();
    ASSERT_TRUE(finished().empty()) << "a job was done before the checkpoint";
    wait_for_three();
    ASSERT_TRUE(app->Shutdown().ok());
    uninterrupted = finished();
  }
  std::filesystem::remove_all(dir_ / "chk-0000000002");  // taken at shutdown
  std::string in_flight;
  {
    std::ifstream m(dir_ / "chk-0000000001" / "MANIFEST");
    for (std::string line; std::getline(m, line);)
      if (line.rfind("position async:Jobs ", 0) == 0) in_flight = line;
  }
  ASSERT_FALSE(in_flight.empty());
  EXPECT_EQ(in_flight.find("position async:Jobs 0%20in%20flight"), std::string::npos) << in_flight;
  std::sort(uninterrupted.begin(), uninterrupted.end());
  ASSERT_EQ(uninterrupted, (std::vector<std::string>{"@0 0 1", "@0 1 1", "@0 2 1"}));
  // Restored from the checkpoint, the jobs in flight go on around the loop and finish once.
  seen_.clear();
  auto app = Open(loop);
  ASSERT_TRUE(app->Start().ok());
  wait_for_three();
  ASSERT_TRUE(app->Shutdown().ok());
  std::vector<std::string> restored = finished();
  std::sort(restored.begin(), restored.end());
  EXPECT_EQ(restored, uninterrupted);
}

TEST_F(CheckpointTest, TwoAppsCannotShareAStateDir) {
  auto first = Open();
  ASSERT_TRUE(first->Start().ok());
  auto second = Open();
  Status st = second->Start();
  EXPECT_NE(st.message().find("is in use by another app (pid "), std::string::npos) << st.message();
  second.reset();
  ASSERT_TRUE(first->Shutdown().ok());
  first.reset();  // the lock goes with it
  auto third = Open();
  EXPECT_TRUE(third->Start().ok());
}

TEST_F(CheckpointTest, WithoutAStateDirCheckpointIsAnError) {
  auto app = AppRuntime::Load(kApp);
  ASSERT_TRUE(app.ok());
  EXPECT_NE((*app)->Checkpoint().status().message().find("no state dir"), std::string::npos);
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST_F(CheckpointTest, AnEditedAppIsToldWhichStateItKeepsAndRefusedUnlessItAllowsDrops) {
  {
    auto app = Open();
    ASSERT_TRUE(app->Start().ok());
    Send(app.get(), 0, 100);
    ASSERT_TRUE(app->Shutdown().ok());
  }
  using Outcome = RestoreEntry::Outcome;
  auto outcomes = [&](const std::string& text) {
    auto app = Open(text);
    auto plan = app->PlanRestore();
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    std::map<std::string, Outcome> out;
    for (const RestoreEntry& e : plan->entries) out[e.name.substr(0, e.name.find(' '))] = e.outcome;
    return out;
  };
  // The same app: everything is restored.
  auto same = outcomes(kApp);
  EXPECT_EQ(same["totals"], Outcome::kRestored);
  EXPECT_EQ(same["distinct"], Outcome::kRestored);
  EXPECT_EQ(same["hot"], Outcome::kRestored);
  // A filter changed and a query added: both fit.
  std::string edited = Replace(kApp, "WHERE v > 5", "WHERE v > 6");
  edited += "@info(name='extra')\nINSERT INTO Extra SELECT k, max(v) AS m FROM S GROUP BY k;\n";
  auto added = outcomes(edited);
  EXPECT_EQ(added["distinct"], Outcome::kRestored);
  EXPECT_EQ(added["extra"], Outcome::kStartsEmpty);
  // A window changed, a query removed, a column added.
  auto window = outcomes(Replace(kApp, "TUMBLING(100 ms)", "TUMBLING(200 ms)"));
  EXPECT_EQ(window["totals"], Outcome::kIncompatible);
  EXPECT_EQ(window["distinct"], Outcome::kRestored);
  auto removed =
      outcomes(Replace(kApp, "@info(name='hot')\nINSERT INTO HotCounts", "INSERT INTO HotCounts"));
  EXPECT_EQ(removed["hot"], Outcome::kDropped);
  auto column = outcomes(Replace(kApp, "(k STRING, v INT, ts BIGINT)\nWITH",
                                 "(k STRING, v INT, ts BIGINT, w INT)\nWITH"));
  EXPECT_EQ(column["totals"], Outcome::kIncompatible);
  // Start() refuses the incompatible restore, naming the query; allowed, the rest is restored.
  {
    auto app = Open(Replace(kApp, "TUMBLING(100 ms)", "TUMBLING(200 ms)"));
    Status st = app->Start();
    EXPECT_NE(st.message().find("query 'totals'"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("--allow-state-drop"), std::string::npos) << st.message();
  }
  AppOptions allow;
  allow.allow_state_drop = true;
  auto app = Open(Replace(kApp, "TUMBLING(100 ms)", "TUMBLING(200 ms)"), allow);
  ASSERT_TRUE(app->Start().ok());
  EXPECT_GT(app->Stats().checkpoints.restored_id, 0u);
  ASSERT_TRUE(app->Shutdown().ok());
}

}  // namespace
}  // namespace sluice
