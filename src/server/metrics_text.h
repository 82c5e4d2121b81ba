// The bodies of the server's /metrics (the Prometheus text format), /health and /ready, made from
// a snapshot of the app's counters (AppRuntime::Stats()).
#pragma once

#include <string>

#include "sluice/metrics.h"

namespace sluice::server {

// The Prometheus exposition of `stats` (counters as *_total, queue gauges, latency quantiles).
std::string PrometheusText(const AppStats& stats);
// {"status": "ok" | "degraded" | "unhealthy", "health": the lowest score, per stream and query}.
std::string HealthJson(const AppStats& stats, int* http_status);
// {"ready": true once every table loaded from a source is loaded, "tables": [their states]};
// 503 until then (and when a load failed).
std::string ReadyJson(const AppStats& stats, int* http_status);

}  // namespace sluice::server
