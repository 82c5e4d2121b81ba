// The `sluice` command: check, explain, replay and run apps.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "common/format.h"
#include "connectors/json_codec.h"
#include "server/metrics_server.h"
#include "sluice/engine.h"

namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

bool ReadFile(const std::string& path, std::string* out) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    *out = ss.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

int LoadText(const std::string& path, std::string* text) {
  if (!ReadFile(path, text)) {
    std::fprintf(stderr, "sluice: cannot read '%s'\n", path.c_str());
    return 2;
  }
  return 0;
}

// Prints what queries insert, as {"stream":"Out","ts":1000,"data":{...}} lines.
sluice::OutputCallback PrintEvents() {
  return [](const sluice::OutputBatch& out) {
    std::string line;
    for (size_t r = 0; r < out.batch->num_rows(); ++r) {
      line.clear();
      line += "{\"stream\":";
      sluice::AppendJsonString(&line, out.stream);
      line += ",\"ts\":";
      sluice::AppendInt(&line, out.batch->timestamp(r));
      line += ",\"data\":";
      sluice::connectors::AppendJsonObject(&line, *out.schema, *out.batch, r);
      line += "}\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
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
    std::snprintf(buf, sizeof buf, " p99=%.1fus", q.p99_us);
    s += buf;
    s += " ";
  }
  return s;
}

int Check(const std::string& app_path, bool quiet) {
  std::string text;
  if (int rc = LoadText(app_path, &text)) return rc;
  sluice::AppOptions opts;
  opts.file_name = app_path;
  std::string warnings;
  sluice::Status st = sluice::AppRuntime::Check(text, opts, &warnings);
  if (!warnings.empty()) std::fputs(warnings.c_str(), stderr);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  if (!quiet) std::printf("%s: ok\n", app_path.c_str());
  return 0;
}

int Explain(const std::string& app_path) {
  std::string text;
  if (int rc = LoadText(app_path, &text)) return rc;
  sluice::AppOptions opts;
  opts.file_name = app_path;
  auto app = sluice::AppRuntime::Load(text, opts);
  if (!app.ok()) {
    std::fprintf(stderr, "%s\n", app.status().message().c_str());
    return 1;
  }
  if (!(*app)->warnings().empty()) std::fputs((*app)->warnings().c_str(), stderr);
  std::fputs((*app)->Explain().c_str(), stdout);
  return 0;
}

int Replay(const std::string& app_path, const std::string& events_path, bool stats,
           bool final_flush) {
  std::string text;
  if (int rc = LoadText(app_path, &text)) return rc;
  sluice::AppOptions opts;
  opts.file_name = app_path;
  opts.playback = true;
  auto loaded = sluice::AppRuntime::Load(text, opts);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 1;
  }
  std::unique_ptr<sluice::AppRuntime> app = std::move(loaded).value();
  if (!app->warnings().empty()) std::fputs(app->warnings().c_str(), stderr);
  app->AddOutputCallback(PrintEvents());
  app->Start();

  std::ifstream file;
  std::istream* in = &std::cin;
  if (events_path != "-") {
    file.open(events_path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "sluice: cannot read '%s'\n", events_path.c_str());
      return 2;
    }
    in = &file;
  }
  struct Decoder {
    std::unique_ptr<sluice::connectors::JsonRowDecoder> json;
    std::unique_ptr<sluice::Batch> batch;
  };
  std::map<std::string, Decoder> decoders;
  std::string line;
  int64_t line_no = 0, malformed = 0;
  int rc = 0;
  auto bad = [&](const std::string& msg) {
    ++malformed;
    std::fprintf(stderr, "%s:%lld: %s\n", events_path.c_str(), static_cast<long long>(line_no),
                 msg.c_str());
  };
  while (std::getline(*in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    sluice::connectors::ReplayLine rl;
    sluice::Status st = sluice::connectors::ParseReplayLine(line, &rl);
    if (!st.ok()) {
      bad(st.message());
      continue;
    }
    if (rl.is_advance) {
      st = app->AdvanceTime(rl.advance_to);
    } else {
      sluice::InputHandler* input = app->GetInputHandler(rl.stream);
      if (!input) {
        bad("unknown stream '" + rl.stream + "'");
        continue;
      }
      Decoder& d = decoders[rl.stream];
      if (!d.json) {
        d.json = std::make_unique<sluice::connectors::JsonRowDecoder>(input->schema());
        d.batch = std::make_unique<sluice::Batch>(input->schema());
      }
      if (!rl.has_ts && input->event_time_attribute() < 0) {
        bad("stream '" + rl.stream +
            "' has no event-time attribute, so the line needs \"ts\" (milliseconds)");
        continue;
      }
      d.batch->Clear();
      d.batch->AddRow(rl.ts);
      st = d.json->Decode(rl.payload, d.batch.get(), 0);
      if (!st.ok()) {
        bad("stream '" + rl.stream + "': " + st.message());
        continue;
      }
      st = input->SendBatch(*d.batch);
    }
    if (!st.ok()) {
      if (st.code() == sluice::StatusCode::kInvalidArgument) {
        bad(st.message());
        continue;
      }
      std::fprintf(stderr, "sluice: %s\n", st.message().c_str());
      rc = 1;
      break;
    }
  }
  // The end of the file is the end of the input: every open window fires (Flink's final
  // watermark), unless --no-final-flush.
  sluice::Status st;
  if (rc == 0 && final_flush) st = app->FinishInput();
  std::fflush(stdout);
  if (st.ok()) st = app->Shutdown();
  if (!st.ok() && rc == 0) {
    std::fprintf(stderr, "sluice: %s\n", st.message().c_str());
    rc = 1;
  }
  if (malformed > 0)
    std::fprintf(stderr, "sluice: %lld malformed input line(s) skipped\n",
                 static_cast<long long>(malformed));
  if (stats) std::fprintf(stderr, "stats: %s\n", StatsLine(app->Stats()).c_str());
  return rc;
}

int Run(const std::string& app_path, bool print, bool stats, double stats_interval, double duration,
        int metrics_port, bool final_flush) {
  std::string text;
  if (int rc = LoadText(app_path, &text)) return rc;
  sluice::AppOptions opts;
  opts.file_name = app_path;
  opts.start_connectors = true;
  opts.final_flush = final_flush;
  auto loaded = sluice::AppRuntime::Load(text, opts);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 1;
  }
  std::unique_ptr<sluice::AppRuntime> app = std::move(loaded).value();
  if (!app->warnings().empty()) std::fputs(app->warnings().c_str(), stderr);
  if (print) app->AddOutputCallback(PrintEvents());
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  sluice::Status st = app->Start();
  if (!st.ok()) {
    std::fprintf(stderr, "sluice: %s\n", st.message().c_str());
    return 1;
  }
  std::unique_ptr<sluice::server::MetricsServer> metrics;  // stops before the app goes
  if (metrics_port >= 0) {
    auto server = sluice::server::MetricsServer::Start(app.get(), metrics_port);
    if (!server.ok()) {
      std::fprintf(stderr, "sluice: %s\n", server.status().message().c_str());
      app->Shutdown();
      return 1;
    }
    metrics = std::move(server).value();
    std::fprintf(stderr, "sluice: metrics at http://127.0.0.1:%d/metrics and /health\n",
                 metrics->port());
  }
  std::atomic<bool> sources_done{false};
  std::thread waiter([&] {
    app->WaitForSources();
    sources_done.store(true);
  });
  auto start = std::chrono::steady_clock::now();
  auto next_stats = start + std::chrono::duration<double>(stats_interval);
  uint64_t last_events = 0;
  auto last_time = start;
  while (!sources_done.load() && !g_interrupted.load() && app->status().ok()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto now = std::chrono::steady_clock::now();
    if (duration > 0 && now - start >= std::chrono::duration<double>(duration)) break;
    if (stats && now >= next_stats) {
      // Throughput: events into queries per second since the last line.
      sluice::AppStats snapshot = app->Stats();
      uint64_t events = 0;
      for (const auto& q : snapshot.queries) events += q.events_in;
      double secs = std::chrono::duration<double>(now - last_time).count();
      std::fprintf(stderr, "stats: %.0f ev/s %s\n",
                   secs > 0 ? static_cast<double>(events - last_events) / secs : 0.0,
                   StatsLine(snapshot).c_str());
      last_events = events;
      last_time = now;
      next_stats = now + std::chrono::duration<double>(stats_interval);
    }
  }
  st = app->Shutdown();
  waiter.join();
  std::fflush(stdout);
  if (stats) std::fprintf(stderr, "stats: %s\n", StatsLine(app->Stats()).c_str());
  uint64_t malformed = 0;
  for (const auto& s : app->Stats().streams) malformed += s.malformed;
  if (malformed)
    std::fprintf(stderr, "sluice: %llu malformed input record(s) skipped\n",
                 static_cast<unsigned long long>(malformed));
  if (!st.ok()) {
    std::fprintf(stderr, "sluice: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"sluice: a streaming SQL and complex-event-processing engine"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "sluice 0.1.0");

  std::string app_path, events_path;
  bool quiet = false, print = false, stats = false, no_final_flush = false;
  double stats_interval = 1.0, duration = 0;
  int metrics_port = -1;

  CLI::App* check = cli.add_subcommand(
      "check", "Parse, resolve, type-check and plan an app without starting connectors");
  check->add_option("APP", app_path, "the app's SQL file ('-' for stdin)")->required();
  check->add_flag("-q,--quiet", quiet, "print nothing when the app is valid");

  CLI::App* explain = cli.add_subcommand("explain", "Print an app's plan");
  explain->add_option("APP", app_path, "the app's SQL file")->required();

  CLI::App* replay = cli.add_subcommand(
      "replay",
      "Run an app in event time over a file of events and print what its queries insert.\n"
      "Lines: {\"stream\":\"S\",\"ts\":1000,\"values\":[...]} or {...,\"data\":{\"a\":1}}, and\n"
      "{\"advance_to\": ms}. Output: {\"stream\":\"Out\",\"ts\":1000,\"data\":{...}} per event.");
  replay->add_option("APP", app_path, "the app's SQL file")->required();
  replay->add_option("EVENTS", events_path, "events as JSON lines ('-' for stdin)")->required();
  replay->add_flag("--stats", stats, "print per-stream and per-query counters at the end");
  replay->add_flag("--no-final-flush", no_final_flush,
                   "at the end of the file, leave open windows, sessions and pattern deadlines "
                   "as they are instead of firing them");

  CLI::App* run = cli.add_subcommand(
      "run", "Run an app live with its connectors (files, stdin/stdout, generator, kafka)");
  run->add_option("APP", app_path, "the app's SQL file")->required();
  run->add_flag("--print", print, "also print every event that queries insert, as replay does");
  run->add_flag("--stats", stats, "print counters periodically to stderr");
  run->add_option("--stats-interval", stats_interval, "seconds between --stats lines")
      ->check(CLI::PositiveNumber);
  run->add_option("--duration", duration, "stop after this many seconds (0: when sources end)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--metrics-port", metrics_port,
                  "serve /metrics (Prometheus) and /health on 127.0.0.1:PORT (0: any free port)")
      ->check(CLI::Range(0, 65535));
  run->add_flag("--no-final-flush", no_final_flush,
                "when the sources end, leave open windows, sessions and pattern deadlines as they "
                "are instead of firing them");

  CLI11_PARSE(cli, argc, argv);
  if (check->parsed()) return Check(app_path, quiet);
  if (explain->parsed()) return Explain(app_path);
  if (replay->parsed()) return Replay(app_path, events_path, stats, !no_final_flush);
  if (run->parsed())
    return Run(app_path, print, stats, stats_interval, duration, metrics_port, !no_final_flush);
  return 2;
}
