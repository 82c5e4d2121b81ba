#include "http_source_bench.h"

#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "sluice/engine.h"
#include "tests/free_port.h"

namespace sluice::bench {

namespace {

using Clock = std::chrono::steady_clock;

// `bodies` bodies of `per_body` JSON lines each, POSTed one after another; false on a failure.
bool PostAll(int port, const std::string& path, const std::string& body, int bodies) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  for (int i = 0; i < bodies; ++i) {
    for (int attempt = 0;; ++attempt) {
      httplib::Result r = client.Post(path, body, "application/x-ndjson");
      if (r && r->status == 202) break;
      if (attempt == 200) return false;  // not up yet, or busy (503): try again shortly
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return true;
}

void Print(bool json, const std::string& name, double eps, double baseline) {
  if (json) {
    std::printf("{\"workload\":\"%s\",\"engine_eps\":%.0f,\"baseline_eps\":%.0f}\n", name.c_str(),
                eps, baseline);
  } else {
    std::printf("%-28s %10.0f ev/s  (hand-written server %.0f ev/s: %.2fx)\n", name.c_str(), eps,
                baseline, baseline > 0 ? eps / baseline : 0.0);
  }
  std::fflush(stdout);
}

}  // namespace

int RunHttpSourceBenchmarks(bool quick, bool json) {
  const int per_body = 1000, bodies = quick ? 200 : 1000;
  std::string body;
  for (int i = 0; i < per_body; ++i)
    body += "{\"id\":" + std::to_string(i) + ",\"v\":" + std::to_string(i * 0.5) + "}\n";
  const double total = static_cast<double>(per_body) * bodies;

  // The baseline: the same transport, the same parse, no engine.
  double baseline = 0;
  {
    httplib::Server server;
    server.set_tcp_nodelay(true);
    std::atomic<uint64_t> sum{0};
    server.Post("/in", [&](const httplib::Request& req, httplib::Response& res) {
      simdjson::ondemand::parser parser;
      std::string line;
      uint64_t local = 0;
      std::string_view body = req.body;
      for (size_t start = 0; start < body.size();) {
        size_t nl = body.find('\n', start);
        if (nl == std::string_view::npos) nl = body.size();
        size_t len = nl - start;
        line.assign(body.substr(start, len));
        start = nl + 1;
        line.resize(len + simdjson::SIMDJSON_PADDING);
        simdjson::ondemand::document doc;
        if (parser.iterate(line.data(), len, line.size()).get(doc)) continue;
        int64_t id = 0;
        double v = 0;
        if (!doc["id"].get_int64().get(id) && !doc["v"].get_double().get(v))
          local += static_cast<uint64_t>(id) + static_cast<uint64_t>(v);
      }
      sum.fetch_add(local);
      res.status = 202;
    });
    int port = server.bind_to_any_port("127.0.0.1");
    std::thread t([&] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto start = Clock::now();
    bool ok = PostAll(port, "/in", body, bodies);
    baseline = ok ? total / std::chrono::duration<double>(Clock::now() - start).count() : 0;
    server.stop();
    t.join();
  }

  int port = testing::FreeLoopbackPort();
  std::string text =
      "CREATE STREAM E (id BIGINT, v DOUBLE) WITH ('type'='source', "
      "'connector'='http', 'port'='" +
      std::to_string(port) +
      "', 'path'='/in');\n"
      "INSERT INTO O SELECT id, v FROM E WHERE v >= 0;\n";
  AppOptions opts;
  opts.start_connectors = true;
  auto app = AppRuntime::Load(text, opts);
  if (!app.ok() || !(*app)->Start().ok()) {
    std::fprintf(stderr, "http source: %s\n",
                 app.ok() ? "did not start" : app.status().message().c_str());
    return 1;
  }
  auto start = Clock::now();
  bool ok = PostAll(port, "/in", body, bodies);
  auto events = [&] {
    for (const auto& s : (*app)->Stats().streams)
      if (s.name == "E") return s.events;
    return uint64_t{0};
  };
  while (ok && events() < static_cast<uint64_t>(total))
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  double eps = ok ? total / std::chrono::duration<double>(Clock::now() - start).count() : 0;
  (*app)->Shutdown();
  Print(json, "http_source_ingest", eps, baseline);
  return eps > 0 && baseline > 0 ? 0 : 1;
}

}  // namespace sluice::bench
