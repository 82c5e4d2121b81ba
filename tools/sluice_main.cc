// The `sluice` command: check, explain, replay and run apps.
//
// Exit codes (docs/cli.md): 0 success; 1 the app is invalid, failed while running, or (with
// --strict) had malformed input; 2 a usage error or a file that cannot be read.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "common/format.h"
#include "common/log.h"
#include "connectors/json_codec.h"
#include "plan/options.h"
#include "runtime/replay_player.h"
#include "server/http_server.h"
#include "sluice/engine.h"
#include "sql/diagnostics.h"
#include "state/checkpoint_store.h"
#include "tools/shell.h"
#include "tools/test_runner.h"

namespace {

namespace fs = std::filesystem;

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

std::atomic<int> g_signal{0};              // the SIGINT or SIGTERM that asked us to stop
std::atomic<bool> g_output_failed{false};  // stdout could not be written (a closed pipe)

void OnSignal(int signo) {
  g_signal.store(signo);
  std::signal(signo, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// Writes `text` to stderr whole: messages may quote input bytes, NULs included.
void Err(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stderr);
}

// Reads an app or events file; "-" is stdin. 0, or the exit code after saying what is wrong.
int ReadFile(const std::string& path, const char* what, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return kOk;
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    Err("sluice: '" + path + "' is a directory, not " + what);
    return kUsage;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Err("sluice: cannot read '" + path + "': " + std::strerror(errno));
    return kUsage;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return kOk;
}

// The options every command that loads an app shares: the name in messages, and the directory
// that relative paths in WITH resolve against.
sluice::AppOptions OptionsFor(const std::string& app_path) {
  sluice::AppOptions opts;
  opts.file_name = app_path;
  if (app_path != "-") opts.base_dir = fs::path(app_path).parent_path().string();
  return opts;
}

std::string HumanBytes(uint64_t b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string Elapsed(std::chrono::steady_clock::duration d) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 60),
                static_cast<long long>(s % 60));
  return buf;
}

// A progress line on stderr, rewritten in place: for terminals (or when asked with --progress).
class Progress {
 public:
  Progress(bool forced, bool quiet)
      : on_(!quiet && (forced || ::isatty(STDERR_FILENO))),
        start_(std::chrono::steady_clock::now()) {}
  bool on() const { return on_; }
  // Shows `what` (events so far, bytes of a file) at most 4 times a second.
  void Show(uint64_t events, const std::string& detail) {
    if (!on_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    double secs = std::chrono::duration<double>(now - last_).count();
    double rate = last_events_ <= events && secs > 0 && secs < 5
                      ? static_cast<double>(events - last_events_) / secs
                      : 0;
    last_ = now;
    last_events_ = events;
    char buf[96];
    std::snprintf(buf, sizeof buf, "\r\x1b[Ksluice: %llu events (%.0f/s)",
                  static_cast<unsigned long long>(events), rate);
    std::string line = buf + (detail.empty() ? "" : "  " + detail) + "  " + Elapsed(now - start_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    shown_ = true;
  }
  void Clear() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
    shown_ = false;
  }

 private:
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
  uint64_t last_events_ = 0;
};

// How far each source has read, for the progress line and for a run stopped before the end.
std::string SourcesSummary(const std::vector<sluice::SourceStats>& sources, bool unfinished_only) {
  std::string out;
  for (const sluice::SourceStats& s : sources) {
    if (unfinished_only && s.finished) continue;
    if (!out.empty()) out += "; ";
    out += s.stream + " ";
    if (s.connector == "generator") {
      out += "generated " + std::to_string(s.records) +
             (s.total_records ? " of " + std::to_string(s.total_records) : "") + " events";
      continue;
    }
    out += "read " + std::to_string(s.records) + (s.connector == "kafka" ? " messages" : " lines");
    if (s.total_bytes && s.bytes <= s.total_bytes)  // a followed file grows past its size
      out += ", " + HumanBytes(s.bytes) + " of " + HumanBytes(s.total_bytes) + " (" +
             std::to_string(s.bytes * 100 / s.total_bytes) + "%)";
    else if (s.bytes)
      out += ", " + HumanBytes(s.bytes);
    out += s.where.empty() ? " of " + s.connector : " of " + s.where;
  }
  return out;
}

// Prints what queries insert, as {"stream":"Out","ts":1000,"data":{...}} lines.
// With `changelog`, each line also says its change kind ("op":"+U"), and tables' changelogs are
// printed too.
sluice::OutputCallback PrintEvents(bool changelog) {
  return [changelog](const sluice::OutputBatch& out) {
    std::string lines;
    sluice::runtime::AppendReplayOutput(&lines, out, changelog);
    if (g_output_failed.load()) return;
    if (std::fwrite(lines.data(), 1, lines.size(), stdout) != lines.size())
      g_output_failed.store(true);
  };
}

std::string StatsLine(const sluice::AppStats& stats) {
  std::string s;
  char buf[160];
  for (const auto& st : stats.streams) {
    if (st.name[0] == '!' && st.events == 0) continue;
    s += st.name + "=" + std::to_string(st.events);
    if (st.malformed) s += "(" + std::to_string(st.malformed) + " malformed)";
    if (st.async) {
      std::snprintf(buf, sizeof buf,
                    "[queue %llu/%llu max %.0f%% bp=%llu drop=%llu p99=%.0fus health=%d]",
                    static_cast<unsigned long long>(st.queue_depth),
                    static_cast<unsigned long long>(st.queue_capacity), st.queue_max_fill * 100,
                    static_cast<unsigned long long>(st.backpressure),
                    static_cast<unsigned long long>(st.dropped + st.left), st.p99_us, st.health);
      s += buf;
      if (st.overflowed) s.insert(s.size() - 1, " overflow=" + std::to_string(st.overflowed));
      if (!st.worker_events.empty()) {
        std::string split;
        for (uint64_t n : st.worker_events) split += (split.empty() ? "" : "/") + std::to_string(n);
        s.insert(s.size() - 1, " workers=" + split);
      }
    }
    s += " ";
  }
  for (const auto& q : stats.queries) {
    s += "| " + q.name + " in=" + std::to_string(q.events_in) +
         " out=" + std::to_string(q.events_out) + " filtered=" + std::to_string(q.filtered);
    if (q.faulted) s += " faulted=" + std::to_string(q.faulted);
    if (q.dropped) s += " dropped=" + std::to_string(q.dropped);
    s += " rows=" + std::to_string(q.rows_out);
    if (q.errors) s += " errors=" + std::to_string(q.errors);
    if (q.late) s += " late=" + std::to_string(q.late);
    if (q.instances > 1) s += " instances=" + std::to_string(q.instances);
    if (q.stateful) {
      std::snprintf(buf, sizeof buf, " state=%llukeys/%.1fKB",
                    static_cast<unsigned long long>(q.state_keys),
                    static_cast<double>(q.state_bytes) / 1024);
      s += buf;
    }
    std::snprintf(buf, sizeof buf, " p99=%.1fus", q.p99_us);
    s += buf;
    s += " ";
  }
  for (const auto& k : stats.sinks) {
    if (k.breaker.empty()) continue;  // only the sink runtime's sinks have more than `written`
    s += "| sink " + k.stream + " written=" + std::to_string(k.written) +
         " queued=" + std::to_string(k.queued) + " batches=" + std::to_string(k.batches);
    if (k.retried) s += " retried=" + std::to_string(k.retried);
    if (k.failed) s += " failed=" + std::to_string(k.failed);
    if (k.dropped) s += " dropped=" + std::to_string(k.dropped);
    if (k.left) s += " left=" + std::to_string(k.left);
    s += " breaker=" + k.breaker;
    if (k.breaker_opened) s += "(opened " + std::to_string(k.breaker_opened) + ")";
    std::snprintf(buf, sizeof buf, " p99=%.0fus ", k.batch_p99_us);
    s += buf;
  }
  for (const auto& t : stats.tables) {
    s += "| table " + t.table + " " + t.state + " rows=" + std::to_string(t.rows) +
         " read=" + std::to_string(t.records);
    if (t.state == "loading" && t.total_bytes)
      s += " (" + std::to_string(t.bytes * 100 / t.total_bytes) + "%" +
           (t.eta_ms >= 0 ? ", " + std::to_string((t.eta_ms + 999) / 1000) + " s left" : "") + ")";
    if (t.load_ms >= 0) s += " loaded in " + std::to_string(t.load_ms) + "ms";
    if (t.rejected) s += " rejected=" + std::to_string(t.rejected);
    s += " ";
  }
  for (const auto& t : stats.store_tables) {
    s += "| table " + t.table + " in " + t.connector + " cached=" + std::to_string(t.cached) +
         " hits=" + std::to_string(t.hits) + " misses=" + std::to_string(t.misses) +
         " lookups=" + std::to_string(t.lookups);
    if (t.failed) s += " failed=" + std::to_string(t.failed);
    s += " ";
  }
  const sluice::CheckpointStats& c = stats.checkpoints;
  if (c.enabled) {
    s += "| checkpoints=" + std::to_string(c.completed);
    if (c.last_id)
      s += " last=#" + std::to_string(c.last_id) +
           " pause=" + std::to_string(c.last_pause_us / 1000) +
           "ms size=" + HumanBytes(c.last_bytes);
    if (c.failed) s += " failed=" + std::to_string(c.failed);
    if (c.restored_id) s += " restored=#" + std::to_string(c.restored_id);
    s += " ";
  }
  return s;
}

uint64_t Malformed(const sluice::AppStats& stats) {
  uint64_t n = 0;
  for (const auto& s : stats.streams) n += s.malformed;
  return n;
}

// `check --state-dir DIR`: how the newest checkpoint there would be restored into the app, query
// by query; fails when `run` would refuse it (without --allow-state-drop).
int CheckRestore(const std::string& app_path, const std::string& text, const std::string& state_dir,
                 bool quiet) {
  sluice::AppOptions opts = OptionsFor(app_path);
  opts.state_dir = state_dir;
  auto app = sluice::AppRuntime::Load(text, opts);
  if (!app.ok()) {
    Err(app.status().message());
    return kFailed;
  }
  auto plan = (*app)->PlanRestore();
  if (!plan.ok()) {
    Err("sluice: " + plan.status().message());
    return kFailed;
  }
  using Outcome = sluice::RestoreEntry::Outcome;
  if (plan->checkpoint == 0) {
    std::printf("%s: no checkpoint in %s: the app starts empty\n", app_path.c_str(),
                state_dir.c_str());
    return kOk;
  }
  std::printf("%s: checkpoint %llu of %s:\n", app_path.c_str(),
              static_cast<unsigned long long>(plan->checkpoint), state_dir.c_str());
  for (const sluice::RestoreEntry& e : plan->entries) {
    const char* what = e.outcome == Outcome::kRestored      ? "restored"
                       : e.outcome == Outcome::kStartsEmpty ? "starts empty (not in the checkpoint)"
                       : e.outcome == Outcome::kDropped     ? "DROPPED"
                                                            : "CANNOT BE RESTORED";
    if (quiet && (e.outcome == Outcome::kRestored || e.outcome == Outcome::kStartsEmpty)) continue;
    std::printf("  %s %s: %s%s\n", e.kind.c_str(), e.name.c_str(), what,
                e.why.empty() ? "" : (": " + e.why).c_str());
  }
  if (plan->refused()) {
    std::printf(
        "run refuses this restore; --allow-state-drop restores the rest and starts the "
        "others empty\n");
    return kFailed;
  }
  return kOk;
}

int Check(const std::string& app_path, bool quiet, const std::string& state_dir) {
  std::string text;
  if (int rc = ReadFile(app_path, "an app file", &text)) return rc;
  std::string warnings;
  sluice::Status st = sluice::AppRuntime::Check(text, OptionsFor(app_path), &warnings);
  if (!warnings.empty()) Err(warnings);
  if (!st.ok()) {
    Err(st.message());
    return kFailed;
  }
  if (!state_dir.empty()) return CheckRestore(app_path, text, state_dir, quiet);
  if (!quiet) std::printf("%s: ok\n", app_path.c_str());
  return kOk;
}

int Explain(const std::string& app_path) {
  std::string text;
  if (int rc = ReadFile(app_path, "an app file", &text)) return rc;
  auto app = sluice::AppRuntime::Load(text, OptionsFor(app_path));
  if (!app.ok()) {
    Err(app.status().message());
    return kFailed;
  }
  if (!(*app)->warnings().empty()) Err((*app)->warnings());
  std::fputs((*app)->Explain().c_str(), stdout);
  return kOk;
}

struct ReplayOptions {
  bool stats = false, final_flush = true, strict = false, progress = false, quiet = false,
       changelog = false;
  std::vector<std::string> streams;  // --streams: print only these
  std::string expect;                // --expect: compare the output with this file
};

// Prints what queries insert (and, with `changelog`, every table's changes) on stdout.
void AddPrinter(sluice::AppRuntime* app, bool changelog) {
  app->AddOutputCallback(PrintEvents(changelog));
  if (changelog)
    for (const std::string& table : app->TableNames()) app->AddCallback(table, PrintEvents(true));
}

int Replay(const std::string& app_path, const std::string& events_path, const ReplayOptions& o) {
  std::string text;
  if (int rc = ReadFile(app_path, "an app file", &text)) return rc;
  sluice::AppOptions opts = OptionsFor(app_path);
  opts.playback = true;
  auto loaded = sluice::AppRuntime::Load(text, opts);
  if (!loaded.ok()) {
    Err(loaded.status().message());
    return kFailed;
  }
  std::unique_ptr<sluice::AppRuntime> app = std::move(loaded).value();
  if (!app->warnings().empty()) Err(app->warnings());
  for (const std::string& s : o.streams) {
    if (app->GetSchema(s)) continue;
    std::string names;
    for (const std::string& n : app->StreamNames()) names += (names.empty() ? "" : ", ") + n;
    Err("sluice: --streams: the app has no stream '" + s + "' (it has " + names + ")");
    return kUsage;
  }
  if (o.streams.empty()) {
    AddPrinter(app.get(), o.changelog);
  } else {
    for (const std::string& s : o.streams) app->AddCallback(s, PrintEvents(o.changelog));
  }
  std::vector<std::string> expected;
  sluice::tools::OutputRecorder recorder;
  if (!o.expect.empty()) {
    std::string text;
    if (int rc = ReadFile(o.expect, "a file of expected output", &text)) return rc;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) expected.push_back(line);
    recorder.Attach(app.get(), o.streams);
  }
  app->Start();

  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t size = 0;
  if (events_path != "-") {
    std::error_code ec;
    if (fs::is_directory(events_path, ec)) {
      Err("sluice: '" + events_path + "' is a directory, not a file of events");
      return kUsage;
    }
    file.open(events_path, std::ios::binary);
    if (!file) {
      Err("sluice: cannot read '" + events_path + "': " + std::strerror(errno));
      return kUsage;
    }
    size = fs::is_regular_file(events_path, ec) ? fs::file_size(events_path, ec) : 0;
    in = &file;
  }
  sluice::runtime::ReplayPlayer player(app.get());
  std::string line;
  int64_t line_no = 0, malformed = 0;
  uint64_t bytes = 0;
  int rc = kOk;
  Progress progress(o.progress, o.quiet);
  auto bad = [&](const std::string& msg) {
    ++malformed;
    progress.Clear();
    Err(events_path + ":" + std::to_string(line_no) + ": " + msg);
  };
  while (std::getline(*in, line)) {
    ++line_no;
    bytes += line.size() + 1;
    if (g_signal.load() || g_output_failed.load()) break;
    if ((line_no & 1023) == 0)
      progress.Show(static_cast<uint64_t>(line_no),
                    size ? HumanBytes(bytes) + " of " + HumanBytes(size) : HumanBytes(bytes));
    sluice::Status st = player.Play(line);
    if (!st.ok()) {
      if (st.code() == sluice::StatusCode::kInvalidArgument) {
        bad(st.message());
        continue;
      }
      Err("sluice: " + st.message());
      rc = kFailed;
      break;
    }
  }
  progress.Clear();
  bool complete = !g_signal.load() && !g_output_failed.load();
  // The end of the file is the end of the input: every open window fires (Flink's final
  // watermark), unless --no-final-flush.
  sluice::Status st;
  if (rc == kOk && complete && o.final_flush) st = app->FinishInput();
  std::fflush(stdout);
  if (st.ok()) st = app->Shutdown();
  if (!st.ok() && rc == kOk) {
    Err("sluice: " + st.message());
    rc = kFailed;
  }
  if (g_output_failed.load()) {
    Err("sluice: cannot write the output (" + std::string(std::strerror(EPIPE)) +
        "?): stopped at " + events_path + ":" + std::to_string(line_no));
    rc = kFailed;
  } else if (g_signal.load()) {
    Err("sluice: stopped by " + std::string(g_signal.load() == SIGINT ? "SIGINT" : "SIGTERM") +
        " at " + events_path + ":" + std::to_string(line_no) + ", before the end of the input");
  }
  if (malformed > 0) {
    Err("sluice: " + std::to_string(malformed) + " malformed input line(s) skipped");
    if (o.strict && rc == kOk) {
      Err("sluice: failing because of --strict");
      rc = kFailed;
    }
  }
  if (o.stats) Err("stats: " + StatsLine(app->Stats()));
  if (!o.expect.empty() && rc == kOk) {
    std::string diff;
    auto same = sluice::tools::CompareRows(app.get(), expected, 1, "", recorder.rows(),
                                           /*ordered=*/true, &diff, o.streams);
    if (!same.ok()) {
      Err("sluice: " + o.expect + ": " + same.status().message());
      return kUsage;
    }
    if (*same) {
      Err("sluice: the output is as " + o.expect + " expects (" +
          std::to_string(recorder.rows().size()) + " rows)");
    } else {
      Err("sluice: the output differs from " + o.expect + " (- expected, + actual):\n" + diff);
      rc = kFailed;
    }
  }
  return rc;
}

struct RunOptions {
  bool print = false, stats = false, final_flush = true, strict = false, progress = false,
       quiet = false, changelog = false, fresh = false, allow_state_drop = false;
  double stats_interval = 1.0, duration = 0;
  int metrics_port = -1;
  std::string http, http_token;
  std::string state_dir, checkpoint_interval, shutdown_timeout;
};

// `sluice checkpoints DIR [--verify]`: every checkpoint, newest first, with its parts' sizes and
// its sources' positions; --verify reads every file and checks its checksum.
int Checkpoints(const std::string& dir, bool verify) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    Err("sluice: '" + dir + "' does not exist");
    return kUsage;
  }
  if (!fs::is_directory(dir, ec)) {
    Err("sluice: '" + dir + "' is not a directory of checkpoints");
    return kUsage;
  }
  sluice::state::CheckpointStore store(dir, sluice::Env::Default(), 1);
  std::vector<sluice::state::CheckpointListing> all = store.List(verify);
  if (all.empty()) {
    std::printf("no checkpoint in %s\n", dir.c_str());
    return verify ? kFailed : kOk;  // nothing verified: a mistyped path must not pass
  }
  int rc = kOk;
  for (const auto& l : all) {
    const sluice::state::CheckpointInfo& c = l.info;
    if (!l.problem.empty()) {
      std::printf("checkpoint %llu: BAD: %s\n", static_cast<unsigned long long>(c.id),
                  l.problem.c_str());
      rc = kFailed;
      continue;
    }
    char when[32] = "?";
    std::time_t t = static_cast<std::time_t>(c.meta.time_ms / 1000);
    if (std::tm tm; gmtime_r(&t, &tm)) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::printf("checkpoint %llu  %s  pause %.1f ms  write %.1f ms  %s%s\n",
                static_cast<unsigned long long>(c.id), when,
                static_cast<double>(c.meta.pause_us) / 1000, static_cast<double>(c.write_us) / 1000,
                HumanBytes(c.stored_bytes()).c_str(), verify ? "  verified" : "");
    for (const auto& p : c.parts)
      std::printf("  %-40s %10s (%s raw)\n", p.name.c_str(), HumanBytes(p.stored_bytes).c_str(),
                  HumanBytes(p.raw_bytes).c_str());
    for (const auto& [source, position] : c.meta.positions)
      std::printf("  %-40s at %s\n", source.c_str(), position.c_str());
  }
  return rc;
}

// The line `run` prints when it starts: what it reads, what it writes, where its metrics are.
std::string StartLine(const std::string& app_path, const sluice::AppStats& stats,
                      const std::string& api) {
  std::string line = "sluice: running " + app_path + ": ";
  std::string sources, sinks;
  for (const auto& s : stats.sources)
    sources += (sources.empty() ? "" : ", ") + s.stream + " (" + s.connector +
               (s.where.empty() ? "" : " " + s.where) + ")";
  for (const auto& s : stats.sinks)
    sinks += (sinks.empty() ? "" : ", ") + s.stream + " (" + s.connector +
             (s.where.empty() || s.where == s.connector ? "" : " " + s.where) + ")";
  line += "sources " + (sources.empty() ? std::string("none (events over HTTP)") : sources) +
          "; sinks " + (sinks.empty() ? std::string("none") : sinks);
  if (!api.empty()) line += "; api at " + api + "/api/app, metrics at " + api + "/metrics";
  return line;
}

int Run(const std::string& app_path, const RunOptions& o) {
  std::string text;
  if (int rc = ReadFile(app_path, "an app file", &text)) return rc;
  sluice::AppOptions opts = OptionsFor(app_path);
  opts.start_connectors = true;
  opts.final_flush = o.final_flush;
  opts.changelog = o.changelog;
  opts.state_dir = o.state_dir;
  opts.fresh = o.fresh;
  opts.allow_state_drop = o.allow_state_drop;
  if (o.state_dir.empty() && (o.fresh || o.allow_state_drop)) {
    Err(std::string("sluice: ") + (o.fresh ? "--fresh" : "--allow-state-drop") +
        " needs --state-dir (the checkpoints it is about)");
    return kUsage;
  }
  if (!o.checkpoint_interval.empty()) {
    if (o.state_dir.empty()) {
      Err("sluice: --checkpoint-interval needs --state-dir (where the checkpoints go)");
      return kUsage;
    }
    int64_t ms = 0;
    if (!sluice::plan::ParseDurationText(o.checkpoint_interval, &ms) || ms <= 0) {
      Err("sluice: --checkpoint-interval needs a duration such as '10s' or '500ms', got '" +
          o.checkpoint_interval + "'");
      return kUsage;
    }
    opts.checkpoint_interval_ms = ms;
  }
  if (!o.shutdown_timeout.empty()) {
    int64_t ms = 0;
    if (!sluice::plan::ParseDurationText(o.shutdown_timeout, &ms) || ms <= 0) {
      Err("sluice: --shutdown-timeout needs a duration such as '30s' or '500ms', got '" +
          o.shutdown_timeout + "'");
      return kUsage;
    }
    opts.shutdown_timeout_ms = ms;
  }
  auto loaded = sluice::AppRuntime::Load(text, opts);
  if (!loaded.ok()) {
    Err(loaded.status().message());
    return kFailed;
  }
  std::unique_ptr<sluice::AppRuntime> app = std::move(loaded).value();
  if (!app->warnings().empty()) Err(app->warnings());
  if (o.print) AddPrinter(app.get(), o.changelog);
  // The server answers from before the start: /ready and the tables' load progress while
  // Start() waits for the tables loaded from sources.
  std::unique_ptr<sluice::server::HttpServer> server;  // stops before the app goes
  if (!o.http.empty()) {
    sluice::server::ServerOptions so;
    if (sluice::Status st = sluice::server::ParseListenAddress(o.http, &so); !st.ok()) {
      Err("sluice: --http: " + st.message());
      return kUsage;
    }
    so.token = o.http_token;
    so.metrics_only = o.metrics_port >= 0;
    if (so.token.empty() && !so.metrics_only && so.host != "127.0.0.1" && so.host != "localhost" &&
        so.host != "::1")
      Err("sluice: warning: --http " + o.http +
          " is reachable from other machines and has no --http-token: anyone who reaches it can "
          "send events and read tables");
    auto started = sluice::server::HttpServer::Start(app.get(), so);
    if (!started.ok()) {
      Err("sluice: " + started.status().message());
      return kFailed;
    }
    server = std::move(started).value();
  }
  const std::string api = server ? server->url() : "";
  // Start() waits for the tables loaded from sources: meanwhile this thread says so, prints the
  // --stats lines, and stops the wait on a signal or at the end of --duration.
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> loading_tables;
  for (const auto& t : app->Stats().tables) loading_tables.push_back(t.table);
  if (!o.quiet && !loading_tables.empty()) {
    std::string names;
    for (const std::string& t : loading_tables) names += (names.empty() ? "" : ", ") + t;
    Err("sluice: loading table(s) " + names + " before the streams start" +
        (server ? "; /ready at " + api + "/ready" : std::string()));
  }
  std::atomic<bool> started{false};
  bool stopped_loading = false, duration_loading = false;
  std::thread watcher([&] {
    auto next_stats = start + std::chrono::duration<double>(o.stats_interval);
    while (!started.load()) {
      auto now = std::chrono::steady_clock::now();
      bool over = o.duration > 0 && now - start >= std::chrono::duration<double>(o.duration);
      if (g_signal.load() || over) {
        duration_loading = over && !g_signal.load();
        stopped_loading = true;
        app->Shutdown();
        return;
      }
      if (o.stats && !loading_tables.empty() && now >= next_stats) {
        Err("stats: " + StatsLine(app->Stats()));
        next_stats = now + std::chrono::duration<double>(o.stats_interval);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  sluice::Status st = app->Start();
  started.store(true);
  watcher.join();
  if (!st.ok() && stopped_loading) {  // stopped as asked, before anything ran: not a failure
    app->Shutdown();
    std::string loading;
    for (const auto& t : app->Stats().tables)
      if (t.state == "loading")
        loading += (loading.empty() ? "" : ", ") + t.table + " (" + std::to_string(t.rows) +
                   " rows so far)";
    std::string why = duration_loading
                          ? "after --duration " + std::to_string(o.duration).substr(0, 5) + " s"
                          : std::string("by ") + (g_signal.load() == SIGINT ? "SIGINT" : "SIGTERM");
    Err("sluice: stopped " + why + " while the tables were loading" +
        (loading.empty() ? "" : ": " + loading));
    return kOk;
  }
  if (!st.ok()) {
    Err("sluice: " + st.message());
    app->Shutdown();
    return kFailed;
  }
  // Without a source, events come only over HTTP (POST /api/streams/{name}).
  const bool api_only = app->Stats().sources.empty() && server;
  if (app->Stats().sources.empty() && !server) {
    Err("sluice: " + app_path +
        " has no source, so no event would ever arrive: attach one to a stream with WITH "
        "('type'='source', 'connector'=...), send events over HTTP (--http), or run the app over "
        "a file of events with `sluice replay`");
    app->Shutdown();
    return kFailed;
  }
  if (!o.quiet) Err(StartLine(app_path, app->Stats(), api));
  std::atomic<bool> sources_done{false};
  std::thread waiter([&] {
    if (api_only) return;  // it runs until stopped
    app->WaitForSources();
    sources_done.store(true);
  });
  auto next_stats = start + std::chrono::duration<double>(o.stats_interval);
  uint64_t last_events = 0;
  auto last_time = start;
  bool timed_out = false;
  Progress progress(o.progress, o.quiet);
  while (!sources_done.load() && !g_signal.load() && !g_output_failed.load() &&
         app->status().ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto now = std::chrono::steady_clock::now();
    if (o.duration > 0 && now - start >= std::chrono::duration<double>(o.duration)) {
      timed_out = true;
      break;
    }
    if (progress.on()) {
      sluice::AppStats snapshot = app->Stats();
      uint64_t records = 0;
      for (const auto& s : snapshot.sources) records += s.records;
      progress.Show(records, SourcesSummary(snapshot.sources, false));
    }
    if (o.stats && now >= next_stats) {
      // Throughput: events into queries per second since the last line.
      sluice::AppStats snapshot = app->Stats();
      uint64_t events = 0;
      for (const auto& q : snapshot.queries) events += q.events_in;
      double secs = std::chrono::duration<double>(now - last_time).count();
      char rate[48];
      std::snprintf(rate, sizeof rate, "stats: %.0f ev/s ",
                    secs > 0 ? static_cast<double>(events - last_events) / secs : 0.0);
      progress.Clear();
      Err(rate + StatsLine(snapshot));
      last_events = events;
      last_time = now;
      next_stats = now + std::chrono::duration<double>(o.stats_interval);
    }
  }
  progress.Clear();
  const bool sources_ended = sources_done.load();  // before Shutdown stops them
  // The shutdown drains the sinks (up to --shutdown-timeout): --stats goes on meanwhile, so that
  // a slow drain shows what it waits for.
  std::atomic<bool> shut{false};
  std::thread stopper([&] {
    st = app->Shutdown();
    shut.store(true);
  });
  next_stats = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.stats_interval);
  while (!shut.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto now = std::chrono::steady_clock::now();
    if (!o.stats || now < next_stats) continue;
    Err("stats: draining " + StatsLine(app->Stats()));
    next_stats = now + std::chrono::duration<double>(o.stats_interval);
  }
  stopper.join();
  waiter.join();
  std::fflush(stdout);
  sluice::AppStats stats = app->Stats();
  if (o.stats) Err("stats: " + StatsLine(stats));
  // A run stopped before its sources ended says so, with how far they got.
  std::string unfinished = SourcesSummary(stats.sources, /*unfinished_only=*/true);
  if ((g_signal.load() || timed_out) && !sources_ended && !unfinished.empty()) {
    std::string why = timed_out
                          ? "after --duration " + std::to_string(o.duration).substr(0, 5) + " s"
                          : std::string("by ") + (g_signal.load() == SIGINT ? "SIGINT" : "SIGTERM");
    Err("sluice: stopped " + why + " before the sources ended: " + unfinished);
  }
  int rc = kOk;
  if (g_output_failed.load()) {
    Err("sluice: cannot write the output to stdout (" + std::string(std::strerror(EPIPE)) + "?)");
    rc = kFailed;
  }
  uint64_t malformed = Malformed(stats);
  if (malformed) {
    Err("sluice: " + std::to_string(malformed) + " malformed input record(s) skipped");
    if (o.strict) {
      Err("sluice: failing because of --strict");
      rc = kFailed;
    }
  }
  if (!st.ok()) {
    Err("sluice: " + st.message());
    return kFailed;
  }
  return rc;
}

// "did you mean ...?" for a mistyped option or subcommand on the command line.
std::string Suggest(const CLI::App& cli, const CLI::App* sub, const std::string& word) {
  std::vector<std::string> candidates;
  if (word.rfind("-", 0) == 0) {
    for (const CLI::App* a : {&cli, sub}) {
      if (!a) continue;
      for (const CLI::Option* opt : a->get_options())
        for (const std::string& name : opt->get_lnames()) candidates.push_back("--" + name);
    }
  } else {
    for (const CLI::App* s : cli.get_subcommands({})) candidates.push_back(s->get_name());
  }
  std::string m = sluice::sql::ClosestMatch(word, candidates);
  return m.empty() ? "" : "did you mean '" + m + "'?";
}

}  // namespace

int main(int argc, char** argv) {
  // Stops are asked for by signals, from the start; a closed stdout is an error we report, not a
  // silent death.
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App cli{"sluice: a streaming SQL and complex-event-processing engine"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "sluice 0.1.0");

  std::string app_path, events_path;
  bool quiet = false, no_final_flush = false;
  ReplayOptions replay_opts;
  RunOptions run_opts;

  CLI::App* check = cli.add_subcommand(
      "check", "Parse, resolve, type-check and plan an app without starting connectors");
  check->add_option("APP", app_path, "the app's SQL file ('-' for stdin)")->required();
  check->add_flag("-q,--quiet", quiet, "print nothing when the app is valid");
  std::string check_state_dir;
  check->add_option("--state-dir", check_state_dir,
                    "also say how the newest checkpoint in DIR would be restored, query by "
                    "query (fails when run would refuse it)");

  CLI::App* explain = cli.add_subcommand("explain", "Print an app's plan");
  explain->add_option("APP", app_path, "the app's SQL file")->required();

  CLI::App* replay = cli.add_subcommand(
      "replay",
      "Run an app in event time over a file of events and print what its queries insert.\n"
      "Lines: {\"stream\":\"S\",\"ts\":1000,\"values\":[...]} or {...,\"data\":{\"a\":1}}, and\n"
      "{\"advance_to\": ms}. Output: {\"stream\":\"Out\",\"ts\":1000,\"data\":{...}} per event.");
  replay->add_option("APP", app_path, "the app's SQL file")->required();
  replay->add_option("EVENTS", events_path, "events as JSON lines ('-' for stdin)")->required();
  replay->add_flag("--stats", replay_opts.stats,
                   "print per-stream and per-query counters at the end");
  replay->add_flag("--no-final-flush", no_final_flush,
                   "at the end of the file, leave open windows, sessions and pattern deadlines "
                   "as they are instead of firing them");
  replay->add_flag("--strict", replay_opts.strict,
                   "exit with 1 when any input line was malformed (for CI)");
  replay->add_flag("--progress", replay_opts.progress,
                   "show a progress line even when stderr is not a terminal");
  replay->add_flag("--quiet", replay_opts.quiet, "show no progress line");
  replay->add_flag("--changelog", replay_opts.changelog,
                   "print each row's change kind (\"op\": +I, -U, +U, -D) and tables' changes");
  replay
      ->add_option("--streams", replay_opts.streams,
                   "print only these streams (and tables' changes), e.g. --streams A,B")
      ->delimiter(',');
  replay->add_option("--expect", replay_opts.expect,
                     "compare the output with this file of replay lines (any spacing and key "
                     "order; \"op\" and \"ts\" where given) and print a diff; exit 1 when it "
                     "differs");

  CLI::App* run = cli.add_subcommand(
      "run", "Run an app live with its connectors (files, stdin/stdout, generator, kafka)");
  run->add_option("APP", app_path, "the app's SQL file")->required();
  run->add_flag("--print", run_opts.print,
                "also print every event that queries insert, as replay does");
  run->add_flag("--stats", run_opts.stats, "print counters periodically to stderr");
  run->add_option("--stats-interval", run_opts.stats_interval, "seconds between --stats lines")
      ->check(CLI::PositiveNumber);
  run->add_option("--duration", run_opts.duration,
                  "stop after this many seconds (0: when sources end)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--shutdown-timeout", run_opts.shutdown_timeout,
                  "how long a stop waits for queues and sinks to drain, e.g. 30s (default 5s)");
  auto* http = run->add_option(
      "--http", run_opts.http,
      "serve the HTTP API, /metrics, /health and /ready at [HOST]:PORT (':0': any free port; the "
      "host defaults to 127.0.0.1); see docs/server.md");
  run->add_option("--http-token", run_opts.http_token,
                  "require 'Authorization: Bearer TOKEN' on every request but /health, /ready and "
                  "/metrics")
      ->needs(http);
  run->add_option("--metrics-port", run_opts.metrics_port,
                  "serve only /metrics, /health and /ready on 127.0.0.1:PORT (--http serves the "
                  "API too)")
      ->check(CLI::Range(0, 65535))
      ->excludes(http);
  run->add_flag("--no-final-flush", no_final_flush,
                "when the sources end, leave open windows, sessions and pattern deadlines as they "
                "are instead of firing them");
  run->add_flag("--strict", run_opts.strict,
                "exit with 1 when any input record was malformed (for CI)");
  run->add_flag("--progress", run_opts.progress,
                "show a progress line even when stderr is not a terminal");
  run->add_flag("--quiet", run_opts.quiet, "print no start line and no progress line");
  run->add_option("--state-dir", run_opts.state_dir,
                  "keep the app's state in checkpoints in DIR and restore the newest on start "
                  "(docs/state.md)");
  run->add_option("--checkpoint-interval", run_opts.checkpoint_interval,
                  "time between checkpoints, e.g. 10s (default: SET 'checkpoint.interval', "
                  "else 10s)");
  run->add_flag("--allow-state-drop", run_opts.allow_state_drop,
                "restore what fits of a checkpoint of an edited app and start the rest empty");
  run->add_flag("--fresh", run_opts.fresh,
                "start empty, ignoring the checkpoints in --state-dir (they stay on disk)");
  std::string checkpoints_dir;
  bool verify = false;
  CLI::App* checkpoints = cli.add_subcommand(
      "checkpoints", "List the checkpoints in a state dir (id, time, pause, sizes, positions)");
  checkpoints->add_option("DIR", checkpoints_dir, "the state dir (--state-dir of run)")->required();
  checkpoints->add_flag("--verify", verify, "read every file and check its checksum");
  run->add_flag("--changelog", run_opts.changelog,
                "sinks write each row's change kind: {\"op\":\"+U\",\"data\":{...}} in JSON, "
                "the kind first in CSV (with --print, also printed, with tables' changes)");

  std::string log_format = "text";
  for (CLI::App* sub : {run, replay})
    sub->add_option("--log-format", log_format,
                    "text (the default) or json: one JSON object per log line, with the time, "
                    "level, app, message, fields and the batch it concerns")
        ->check(CLI::IsMember({"text", "json"}));
  std::vector<std::string> test_paths;
  CLI::App* test = cli.add_subcommand(
      "test", "Run test files: an app, input events, the output expected (docs/testing.md)");
  test->add_option("PATHS", test_paths, "test files, or directories of *.test files")->required();
  std::string query_url, query_token, query_statement, shell_target;
  bool query_json = false;
  CLI::App* query = cli.add_subcommand(
      "query",
      "Run a statement against a running app (SHOW, DESCRIBE, EXPLAIN, SELECT ... FROM "
      "<table>)");
  query->add_option("URL", query_url, "the app's server: http://host:port (run --http)")
      ->required();
  query->add_option("STATEMENT", query_statement, "e.g. 'SHOW QUERIES'")->required();
  query->add_option("--token", query_token, "the server's --http-token");
  query->add_flag("--json", query_json, "print the server's JSON instead of a table");
  CLI::App* shell = cli.add_subcommand(
      "shell", "An interactive prompt against a running app (its URL) or an app it runs (app.sql)");
  shell->add_option("TARGET", shell_target, "http://host:port of `run --http`, or an app file")
      ->required();
  shell->add_option("--token", query_token, "the server's --http-token");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : {check, explain, replay, run, checkpoints, query, shell, test})
      if (s->parsed()) sub = s;
    std::string message = "sluice: " + std::string(e.what());
    std::string hint;
    for (int i = 1; i < argc && hint.empty(); ++i) {
      std::string arg = argv[i];
      bool known_sub = false;
      for (const CLI::App* s : {check, explain, replay, run, checkpoints, query, shell, test})
        known_sub |= s->get_name() == arg;
      if (known_sub) continue;
      if (!sub && arg.rfind("-", 0) != 0) {
        message = "sluice: unknown command '" + arg +
                  "' (check, explain, replay, run, checkpoints, test, query or shell)";
        hint = Suggest(cli, nullptr, arg);
        break;
      }
      std::string name = arg.substr(0, arg.find('='));
      if (arg.rfind("-", 0) == 0 && message.find(name) != std::string::npos)
        hint = Suggest(cli, sub, name);
    }
    Err(message + (hint.empty() ? "" : "\n  " + hint) + "\n  (sluice " +
        (sub ? sub->get_name() + " " : std::string()) + "--help lists the options)");
    return kUsage;
  }
  replay_opts.final_flush = run_opts.final_flush = !no_final_flush;
  if (log_format == "json") {
    sluice::SetLogFormat(sluice::LogFormat::kJson);
    sluice::SetLogApp(app_path);
  }
  if (check->parsed()) return Check(app_path, quiet, check_state_dir);
  if (explain->parsed()) return Explain(app_path);
  if (replay->parsed()) return Replay(app_path, events_path, replay_opts);
  if (run->parsed()) {
    if (run_opts.metrics_port >= 0)
      run_opts.http = "127.0.0.1:" + std::to_string(run_opts.metrics_port);
    return Run(app_path, run_opts);
  }
  if (checkpoints->parsed()) return Checkpoints(checkpoints_dir, verify);
  if (query->parsed())
    return sluice::tools::QueryServer(query_url, query_token, query_statement, query_json);
  if (shell->parsed()) return sluice::tools::Shell(shell_target, query_token);
  if (test->parsed()) return sluice::tools::RunTests(test_paths);
  return kUsage;
}
