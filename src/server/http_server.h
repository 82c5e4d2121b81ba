// The app's HTTP server (`sluice run --http`, docs/server.md), on cpp-httplib: its description and
// live counters as JSON (/api/app, /api/queries/{id}), a live tail of any stream, events sent
// into streams, rows of tables by key, the newest faults, and /health, /ready and /metrics. It
// reads the app through its public API only, and costs the event path nothing while no client
// tails a stream.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sluice/engine.h"
#include "sluice/status.h"

namespace sluice::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  int port = 0;                    // 0: any free port
  // When set, every request but /health, /ready and /metrics needs "Authorization: Bearer <token>"
  // (or, for clients that cannot set headers such as a browser's EventSource, ?access_token=).
  std::string token;
  // Only /metrics, /health and /ready (`--metrics-port`): no API, nothing sent in.
  bool metrics_only = false;
};

// "127.0.0.1:8080", ":8080" (loopback), "8080", ":0" (any free port), "[::1]:8080".
Status ParseListenAddress(std::string_view text, ServerOptions* out);

class HttpServer {
 public:
  // Listens and answers until destroyed. `app` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Start(AppRuntime* app, const ServerOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // "http://127.0.0.1:8080".
  std::string url() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::server
