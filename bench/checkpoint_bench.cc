#include "checkpoint_bench.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "sluice/engine.h"

namespace sluice::bench {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::unique_ptr<AppRuntime> Open(const std::string& text, const std::string& state_dir,
                                 int64_t interval_ms) {
  AppOptions opts;
  opts.state_dir = state_dir;
  opts.checkpoint_interval_ms = interval_ms;
  auto app = AppRuntime::Load(text, opts);
  if (!app.ok()) {
    std::fprintf(stderr, "%s\n", app.status().message().c_str());
    return nullptr;
  }
  return std::move(app).value();
}

// Batches of 1024 events (k BIGINT, v BIGINT, ts BIGINT); key i % keys, time i ms.
std::vector<Batch> Events(const Schema& schema, size_t n, int64_t keys) {
  std::vector<Batch> out;
  for (size_t start = 0; start < n; start += 1024) {
    Batch b(schema);
    size_t rows = std::min<size_t>(1024, n - start);
    b.Resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      int64_t i = static_cast<int64_t>(start + r);
      b.timestamps()[r] = i;
      b.column(0).SetInt(r, i % keys);
      b.column(1).SetInt(r, i % 97);
      b.column(2).SetInt(r, i);
    }
    out.push_back(std::move(b));
  }
  return out;
}

const char* kStream =
    "CREATE STREAM E (k BIGINT, v BIGINT, ts BIGINT) "
    "WITH ('event.time.field'='ts', 'event.time.format'='epoch_millis');\n";

void Print(bool json, const std::string& name, const std::string& text, const std::string& fields) {
  if (json) {
    std::printf("{\"workload\":\"%s\",%s}\n", name.c_str(), fields.c_str());
  } else {
    std::printf("%-28s %s\n", name.c_str(), text.c_str());
  }
  std::fflush(stdout);
}

// One checkpoint of a GROUP BY holding `keys` groups, then a restore of it into a new app.
int GroupByCheckpoint(bool json, int64_t keys, const std::string& dir) {
  std::string text = std::string(kStream) +
                     "@info(name='totals')\nINSERT INTO O SELECT k, sum(v) AS total FROM E "
                     "GROUP BY k;\n";
  auto app = Open(text, dir, -1);
  if (!app || !app->Start().ok()) return 1;
  for (const Batch& b :
       Events(app->GetInputHandler("E")->schema(), static_cast<size_t>(keys), keys))
    app->GetInputHandler("E")->SendBatch(b);
  auto start = Clock::now();
  auto id = app->Checkpoint();
  double took = Seconds(start);
  if (!id.ok()) {
    std::fprintf(stderr, "checkpoint: %s\n", id.status().message().c_str());
    return 1;
  }
  CheckpointStats c = app->Stats().checkpoints;
  app.reset();  // its shutdown takes one more checkpoint, as a graceful stop does
  auto restored = Open(text, dir, -1);
  start = Clock::now();
  if (!restored || !restored->Start().ok()) return 1;
  double restore = Seconds(start);
  CheckpointStats r = restored->Stats().checkpoints;
  uint64_t state_keys = restored->Stats().queries[0].state_keys;
  char line[256], fields[256];
  std::snprintf(line, sizeof line,
                "keys=%lld checkpoint %.1f ms (pause %.1f ms) %.1f MB on disk; restore %.1f ms "
                "(%llu keys back)",
                static_cast<long long>(keys), took * 1e3,
                static_cast<double>(c.last_pause_us) / 1e3, static_cast<double>(c.last_bytes) / 1e6,
                restore * 1e3, static_cast<unsigned long long>(state_keys));
  std::snprintf(
      fields, sizeof fields,
      "\"keys\":%lld,\"checkpoint_ms\":%.2f,\"pause_ms\":%.2f,\"bytes\":%llu,"
      "\"restore_ms\":%.2f,\"restored_keys\":%llu",
      static_cast<long long>(keys), took * 1e3, static_cast<double>(c.last_pause_us) / 1e3,
      static_cast<unsigned long long>(c.last_bytes), static_cast<double>(r.restore_us) / 1e3,
      static_cast<unsigned long long>(state_keys));
  Print(json, "checkpoint_groupby_" + std::to_string(keys / 1000) + "k_keys", line, fields);
  return state_keys == static_cast<uint64_t>(keys) ? 0 : 1;
}

// tumbling_keyed (100 keys, 1 s windows of event time) for at least `min_seconds`, with
// checkpoints every `interval_ms` into `dir`, or none when `dir` is empty. Events per second.
double Tumbling(const Schema& schema, const std::string& dir, int64_t interval_ms,
                double min_seconds, uint64_t* checkpoints, uint64_t* events) {
  std::string text = std::string(kStream) +
                     "INSERT INTO O SELECT k, avg(v) AS a, count() AS n FROM E "
                     "WINDOW TUMBLING(1 SECOND) GROUP BY k;\n";
  auto app = Open(text, dir, interval_ms);
  if (!app || !app->Start().ok()) return 0;
  InputHandler* in = app->GetInputHandler("E");
  std::vector<Batch> round = Events(schema, 1'000'000, 100);
  const std::vector<Batch>& batches = round;
  int64_t span = batches.back().timestamps()[batches.back().num_rows() - 1] + 1;
  *events = 0;
  auto start = Clock::now();
  for (int64_t r = 0; *events == 0 || Seconds(start) < min_seconds; ++r) {
    for (Batch& b : round) {
      if (r > 0)  // the next stretch of event time
        for (size_t i = 0; i < b.num_rows(); ++i) {
          b.timestamps()[i] += span;
          b.column(2).ints()[i] += span;
        }
      in->SendBatch(b);
      *events += b.num_rows();
    }
  }
  double eps = static_cast<double>(*events) / Seconds(start);
  *checkpoints = app->Stats().checkpoints.completed;
  return eps;
}

}  // namespace

int RunCheckpointBenchmarks(bool quick, bool json) {
  fs::path dir = fs::temp_directory_path() / ("sluice_bench_state_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  int rc = GroupByCheckpoint(json, quick ? 200'000 : 1'000'000, (dir / "groupby").string());

  auto probe = AppRuntime::Load(kStream);
  if (!probe.ok()) return 1;
  Schema schema = *(*probe)->GetSchema("E");
  double seconds = quick ? 1.5 : 4.0;
  uint64_t none_checkpoints = 0, with_checkpoints = 0, none_events = 0, with_events = 0;
  double none = Tumbling(schema, "", 0, seconds, &none_checkpoints, &none_events);
  double with =
      Tumbling(schema, (dir / "tumbling").string(), 1000, seconds, &with_checkpoints, &with_events);
  if (none <= 0 || with <= 0) rc = 1;
  char line[256], fields[256];
  std::snprintf(line, sizeof line,
                "%.0f ev/s with a checkpoint every second (%llu taken), %.0f ev/s without: "
                "overhead %.1f%%",
                with, static_cast<unsigned long long>(with_checkpoints), none,
                (none - with) / none * 100);
  std::snprintf(fields, sizeof fields,
                "\"engine_eps\":%.0f,\"without_checkpoints_eps\":%.0f,\"checkpoints\":%llu,"
                "\"overhead_pct\":%.2f",
                with, none, static_cast<unsigned long long>(with_checkpoints),
                (none - with) / none * 100);
  Print(json, "tumbling_keyed_checkpointed", line, fields);
  fs::remove_all(dir);
  return rc;
}

}  // namespace sluice::bench
