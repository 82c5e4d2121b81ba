// An app's metrics over HTTP: GET /metrics in the Prometheus text format, GET /health as JSON
// (503 when the app is unhealthy), GET /ready (503 until its tables are loaded). One thread answers
// one request per connection; it reads the counters through AppRuntime::Stats() and never touches
// the path events take.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "sluice/engine.h"
#include "sluice/status.h"

namespace sluice::server {

// The Prometheus exposition of `stats` (counters as *_total, queue gauges, latency quantiles).
std::string PrometheusText(const AppStats& stats);
// {"status": "ok" | "degraded" | "unhealthy", "health": the lowest score, per stream and query}.
std::string HealthJson(const AppStats& stats, int* http_status);
// {"ready": true once every table loaded from a source is loaded, "tables": [their states]};
// 503 until then (and when a load failed).
std::string ReadyJson(const AppStats& stats, int* http_status);

class MetricsServer {
 public:
  // Listens on `bind`:`port` (port 0: any free one) and answers until destroyed.
  static Result<std::unique_ptr<MetricsServer>> Start(const AppRuntime* app, int port,
                                                      const std::string& bind = "127.0.0.1");
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }

 private:
  MetricsServer(const AppRuntime* app, int fd, int port);
  void Loop();
  void Answer(int client);

  const AppRuntime* app_;
  int fd_;
  int port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sluice::server
