#include "server/http_server.h"

// cpp-httplib stays in this file.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <thread>

#include <sys/socket.h>
#include <vector>

#include "common/format.h"
#include "common/log.h"
#include "connectors/event_body.h"
#include "connectors/json_codec.h"
#include "server/api_json.h"
#include "server/metrics_text.h"
#include "server/result_text.h"
#include "server/stream_tail.h"

namespace sluice::server {

namespace {

constexpr int kMaxTails = 8;             // clients tailing streams at once
constexpr size_t kTailCapacity = 4096;   // events a tail holds for a slow client
constexpr size_t kFaultsKept = 100;      // per fault stream
constexpr size_t kTableRowsMax = 10000;  // rows GET /api/tables/{name} gives without a key
constexpr int kHeartbeatPolls = 10;      // a tail with nothing to say writes every 2 s

void Json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void Error(httplib::Response& res, int status, const std::string& message) {
  Json(res, status, ErrorJson(message));
}

// The endpoints, for the answer to a request for one that does not exist.
const char* const kEndpoints =
    "GET /api/app, GET /api/queries, GET /api/queries/{id}, GET /api/streams/{name}/events, POST "
    "/api/streams/{name}, GET /api/tables/{name}[?key=...], POST /api/query, GET /api/faults, "
    "GET /health, GET "
    "/ready, GET /metrics";

// Whether `path` is one of the endpoints, for any method: then a wrong method is 405, not 404.
bool KnownPath(const std::string& path, std::string* allow) {
  static const std::vector<std::pair<std::regex, const char*>> paths = {
      {std::regex("/api/app|/api/queries|/api/queries/[^/]+|/api/tables/[^/]+|/api/faults|"
                  "/health|/ready|/metrics|/api/streams/[^/]+/events"),
       "GET"},
      {std::regex("/api/streams/[^/]+|/api/query"), "POST"},
  };
  for (const auto& [re, method] : paths) {
    if (!std::regex_match(path, re)) continue;
    *allow = method;
    return true;
  }
  return false;
}

bool SameToken(const std::string& a, const std::string& b) {
  // Constant time in the token's length: a wrong guess says nothing of how close it was.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status ParseListenAddress(std::string_view text, ServerOptions* out) {
  std::string_view host, port = text;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Status::InvalidArgument("expected [v6-address]:port, got '" + std::string(text) + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int64_t p = -1;
  if (!ParseInt64(port, &p) || p < 0 || p > 65535)
    return Status::InvalidArgument("expected [host]:port with a port from 0 to 65535, got '" +
                                   std::string(text) + "'");
  out->host = host.empty() ? "127.0.0.1" : std::string(host);
  out->port = static_cast<int>(p);
  return Status::OK();
}

struct HttpServer::Impl {
  Impl(AppRuntime* app, const ServerOptions& options)
      : app(app), options(options), info(app->Describe()), faults(app, kFaultsKept) {}

  void Routes();
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;
  void Sample();
  Rates CurrentRates() const {
    std::lock_guard<std::mutex> lock(rates_mu);
    return rates;
  }
  void Tail(const httplib::Request& req, httplib::Response& res);
  void Post(const httplib::Request& req, httplib::Response& res);
  void TableRows(const httplib::Request& req, httplib::Response& res);
  void Statement(const httplib::Request& req, httplib::Response& res);
  const QueryInfo* FindQuery(const std::string& id) const {
    for (const QueryInfo& q : info.queries)
      if (q.id == id || q.name == id) return &q;
    return nullptr;
  }
  std::string StreamList() const {
    std::string names;
    for (const StreamInfo& s : info.streams)
      if (s.kind != "table") names += (names.empty() ? "" : ", ") + s.name;
    return names;
  }
  const StreamInfo* FindStream(const std::string& name) const {
    for (const StreamInfo& s : info.streams)
      if (s.name == name) return &s;
    return nullptr;
  }

  AppRuntime* app;
  ServerOptions options;
  const AppInfo info;
  FaultLog faults;
  httplib::Server http;
  int port = 0;
  std::thread listener;
  std::atomic<bool> listen_returned{false};

  // The rates: a snapshot of the counters every second, against the one before.
  std::thread sampler;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::atomic<bool> stopping{false};
  mutable std::mutex rates_mu;
  Rates rates;

  std::atomic<int> tails{0};
};

void HttpServer::Impl::Sample() {
  std::map<std::string, uint64_t> last;
  auto last_time = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(stop_mu);
  while (!stopping.load()) {
    lock.unlock();
    AppStats stats = app->Stats();
    auto now = std::chrono::steady_clock::now();
    std::map<std::string, uint64_t> counts;
    for (const StreamStats& s : stats.streams) counts["stream:" + s.name] = s.events;
    for (const QueryStats& q : stats.queries) {
      counts["query:" + q.id] = q.events_in;
      counts["query-out:" + q.id] = q.rows_out;
    }
    for (const SinkStats& s : stats.sinks) counts["sink:" + s.stream] = s.written;
    double secs = std::chrono::duration<double>(now - last_time).count();
    if (!last.empty() && secs > 0) {
      Rates r;
      for (const auto& [key, n] : counts) {
        auto it = last.find(key);
        uint64_t before = it == last.end() ? 0 : it->second;
        r[key] = n >= before ? static_cast<double>(n - before) / secs : 0;
      }
      std::lock_guard<std::mutex> rl(rates_mu);
      rates = std::move(r);
    }
    last = std::move(counts);
    last_time = now;
    lock.lock();
    stop_cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping.load(); });
  }
}

bool HttpServer::Impl::Authorized(const httplib::Request& req, httplib::Response& res) const {
  bool open = req.path == "/health" || req.path == "/ready" || req.path == "/metrics";
  if (options.metrics_only && !open) {
    Error(res, 404,
          "this server answers only /metrics, /health and /ready (--metrics-port); the API is "
          "served by --http");
    return false;
  }
  if (options.token.empty() || open) return true;
  std::string auth = req.get_header_value("Authorization");
  std::string scheme = auth.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "bearer " && SameToken(auth.substr(7), options.token)) return true;
  if (req.has_param("access_token") &&
      SameToken(req.get_param_value("access_token"), options.token))
    return true;
  res.set_header("WWW-Authenticate", "Bearer realm=\"sluice\"");
  Error(res, 401,
        auth.empty() ? "this server needs a token: send 'Authorization: Bearer <token>' (the "
                       "--http-token the app was started with)"
                     : "the token is not this server's (--http-token)");
  return false;
}

void HttpServer::Impl::Routes() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Authorized(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                : httplib::Server::HandlerResponse::Handled;
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string allow;
    if (res.status == 404 && KnownPath(req.path, &allow)) {
      res.set_header("Allow", allow);
      return Error(res, 405, req.path + " takes " + allow + ", not " + req.method);
    }
    if (res.status == 404)
      return Error(
          res, 404,
          "nothing answers " + req.method + " " + req.path + " here; the API has " + kEndpoints);
    if (res.status == 413)
      return Error(res, 413, connectors::TooLargeBody(req.get_header_value("Content-Type")));
    Error(res, res.status, "HTTP " + std::to_string(res.status));
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        Error(res, 500, "the server failed to answer this request");
      });

  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    int status = 200;
    std::string body = HealthJson(app->Stats(), &status);
    Json(res, status, body);
  });
  http.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
    int status = 200;
    std::string body = ReadyJson(app->Stats(), &status);
    Json(res, status, body);
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(PrometheusText(app->Stats()), "text/plain; version=0.0.4");
  });
  http.Get("/api/app", [this](const httplib::Request&, httplib::Response& res) {
    Status st = app->status();
    std::string body =
        AppJson(info, app->Stats(), CurrentRates(), st.ok() ? "running" : st.message());
    body.resize(body.size() - 2);  // "}\n": the server's own numbers go last
    body += ",\"server\":{\"tails\":" + std::to_string(tails.load()) + "}}\n";
    Json(res, 200, body);
  });
  http.Get("/api/queries", [this](const httplib::Request&, httplib::Response& res) {
    AppStats stats = app->Stats();
    Rates r = CurrentRates();
    std::string body = "{\"queries\":[";
    for (size_t i = 0; i < info.queries.size(); ++i) {
      const QueryStats* st = nullptr;
      for (const QueryStats& s : stats.queries)
        if (s.id == info.queries[i].id) st = &s;
      std::string one = QueryJson(info.queries[i], st, r);
      one.pop_back();  // its newline
      body += (i ? "," : "") + one;
    }
    Json(res, 200, body + "]}\n");
  });
  http.Get(R"(/api/queries/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    const QueryInfo* q = FindQuery(id);
    if (!q) {
      std::string ids;
      for (const QueryInfo& qi : info.queries) ids += (ids.empty() ? "" : ", ") + qi.id;
      return Error(res, 404,
                   "no query '" + id + "'; the app's queries are " +
                       (ids.empty() ? std::string("none") : ids));
    }
    AppStats stats = app->Stats();
    const QueryStats* st = nullptr;
    for (const QueryStats& s : stats.queries)
      if (s.id == q->id) st = &s;
    Json(res, 200, QueryJson(*q, st, CurrentRates()));
  });
  http.Get(R"(/api/streams/([^/]+)/events)",
           [this](const httplib::Request& req, httplib::Response& res) { Tail(req, res); });
  http.Post(R"(/api/streams/([^/]+))",
            [this](const httplib::Request& req, httplib::Response& res) { Post(req, res); });
  http.Get(R"(/api/tables/([^/]+))",
           [this](const httplib::Request& req, httplib::Response& res) { TableRows(req, res); });
  http.Post("/api/query",
            [this](const httplib::Request& req, httplib::Response& res) { Statement(req, res); });
  http.Get("/api/faults", [this](const httplib::Request& req, httplib::Response& res) {
    int64_t limit = 100;
    if (req.has_param("limit") && (!ParseInt64(req.get_param_value("limit"), &limit) || limit < 0))
      return Error(res, 400, "'limit' must be a count, got '" + req.get_param_value("limit") + "'");
    Json(res, 200, faults.Json(static_cast<size_t>(limit)));
  });
}

void HttpServer::Impl::Tail(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  if (!FindStream(name))
    return Error(res, 404, "no stream '" + name + "'; the app's streams are " + StreamList());
  int64_t limit = 0;
  if (req.has_param("limit") && (!ParseInt64(req.get_param_value("limit"), &limit) || limit < 0))
    return Error(res, 400, "'limit' must be a count, got '" + req.get_param_value("limit") + "'");
  std::string format = req.get_param_value("format");
  if (format.empty())
    format = req.get_header_value("Accept").find("text/event-stream") != std::string::npos
                 ? "sse"
                 : "ndjson";
  if (format != "sse" && format != "ndjson")
    return Error(res, 400, "'format' must be 'sse' or 'ndjson', got '" + format + "'");
  if (tails.fetch_add(1) >= kMaxTails) {
    tails.fetch_sub(1);
    res.set_header("Retry-After", "5");
    return Error(res, 503,
                 std::to_string(kMaxTails) + " clients tail streams already; retry later");
  }
  auto buffer = std::make_shared<TailBuffer>(kTailCapacity, static_cast<uint64_t>(limit));
  auto tap = app->Tap(name, [buffer](const OutputBatch& out) { buffer->Add(out); });
  if (!tap.ok()) {
    tails.fetch_sub(1);
    return Error(res, 404, tap.status().message());
  }
  std::shared_ptr<StreamTap> held(std::move(tap).value());
  bool sse = format == "sse";
  res.set_header("Cache-Control", "no-cache");
  auto idle = std::make_shared<int>(0);
  res.set_chunked_content_provider(
      sse ? "text/event-stream" : "application/x-ndjson",
      [this, buffer, held, sse, idle](size_t, httplib::DataSink& sink) {
        if (stopping.load() || buffer->Ended()) {
          sink.done();
          return true;
        }
        std::vector<std::string> lines;
        uint64_t skipped = buffer->Take(std::chrono::milliseconds(200), &lines);
        std::string out;
        if (skipped > 0) {
          // Said in the stream itself, where a reader sees it beside the events.
          std::string note = "{\"sampled\":true,\"skipped\":" + std::to_string(skipped) + "}";
          out += sse ? "event: sampled\ndata: " + note + "\n\n" : note + "\n";
        }
        for (const std::string& line : lines) out += sse ? "data: " + line + "\n\n" : line + "\n";
        // Something every few seconds, so that a client that went away is noticed.
        if (out.empty() && ++*idle >= kHeartbeatPolls) out = sse ? ": idle\n\n" : "\n";
        if (out.empty()) return true;
        *idle = 0;
        return sink.write(out.data(), out.size());
      },
      [this](bool) { tails.fetch_sub(1); });
}

void HttpServer::Impl::Post(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  InputHandler* in = app->GetInputHandler(name);
  const StreamInfo* s = FindStream(name);
  if (!in || !s) {
    if (s && s->kind == "table")
      return Error(res, 404,
                   "'" + name + "' is a table: its queries write it; send events to a stream");
    if (s && s->kind == "fault")
      return Error(
          res, 404,
          "'" + name + "' is a fault stream: the engine writes it; send events to a stream");
    return Error(res, 404, "no stream '" + name + "'; the app's streams are " + StreamList());
  }
  connectors::JsonRowDecoder json(in->schema());
  connectors::EventBody how;
  how.schema = &in->schema();
  how.csv = req.get_header_value("Content-Type").rfind("text/csv", 0) == 0;
  how.json = &json;
  // An event without its event time is refused with the rest of the body, before any is sent.
  int time_attr = in->event_time_attribute();
  how.accept = [time_attr, in](Batch* b, size_t row, std::string* problem) {
    if (time_attr < 0 || !b->column(static_cast<size_t>(time_attr)).IsNull(row)) return true;
    *problem = "no event time: '" + in->schema().field(static_cast<size_t>(time_attr)).name +
               "' is missing or null";
    return false;
  };
  std::string from = "POST /api/streams/" + name + " from " + req.remote_addr;
  how.malformed = [&](const std::string& where, const std::string& why) {
    Log(LogLevel::kWarn,
        "stream '" + name + "': malformed event (" + from + " " + where + "): " + why);
  };
  Batch batch(in->schema());
  std::string problems;
  Result<size_t> bad = connectors::DecodeEventBody(req.body, how, WallMillis(), &batch, &problems);
  if (!bad.ok()) {
    in->CountMalformed();
    return Error(res, 400, bad.status().message());
  }
  if (*bad > 0) {
    in->CountMalformed(*bad);
    return Error(res, 400,
                 std::to_string(*bad) + " malformed event(s), nothing was taken: " + problems);
  }
  if (batch.num_rows() == 0) return Json(res, 202, "{\"accepted\":0}\n");
  // Log lines of what the batch leads to name the request it came in (the embedding API's own
  // sends carry nothing: the one-event path stays as short as it was).
  LogBatch logged(name, from);
  Status st = in->SendBatch(batch);
  if (!st.ok()) {
    // Events without an event time are refused one by one; the others were taken.
    if (st.code() == StatusCode::kInvalidArgument)
      return Error(res, 400, st.message() + " (the batch's other events were taken)");
    return Error(res, 409, st.message());
  }
  Json(res, 202, "{\"accepted\":" + std::to_string(batch.num_rows()) + "}\n");
}

void HttpServer::Impl::TableRows(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.matches[1];
  const StreamInfo* s = FindStream(name);
  if (!s || s->kind != "table")
    return Error(
        res, 404,
        s ? "'" + name + "' is a stream, not a table: tail it at /api/streams/" + name + "/events"
          : "no table '" + name + "'");
  std::vector<Value> key;
  size_t keys = req.get_param_value_count("key");
  for (size_t i = 0; i < keys; ++i) key.emplace_back(req.get_param_value("key", i));
  int64_t limit = static_cast<int64_t>(kTableRowsMax);
  if (req.has_param("limit") && (!ParseInt64(req.get_param_value("limit"), &limit) || limit < 0 ||
                                 limit > static_cast<int64_t>(kTableRowsMax)))
    return Error(res, 400,
                 "'limit' must be a count up to " + std::to_string(kTableRowsMax) + ", got '" +
                     req.get_param_value("limit") + "'");
  // One row more than asked for says whether there are more.
  size_t want = static_cast<size_t>(limit) + 1;
  Result<Batch> rows = app->ReadTable(name, key, want);
  if (!rows.ok()) return Error(res, 400, rows.status().message());
  bool truncated = key.empty() && rows->num_rows() == want;
  if (truncated) rows->Resize(static_cast<size_t>(limit));
  Json(res, 200, TableRowsJson(name, s->schema, *rows, truncated));
}

void HttpServer::Impl::Statement(const httplib::Request& req, httplib::Response& res) {
  // The statement as the body, or as {"sql": "..."}.
  std::string sql = req.body;
  size_t first = sql.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && sql[first] == '{') {
    Schema schema;
    schema.Add("sql", DataType::String());
    connectors::JsonRowDecoder json(schema);
    Batch one(schema);
    one.AddRow(0);
    Status st = json.Decode(sql, &one, 0);
    if (!st.ok() || one.column(0).IsNull(0))
      return Error(res, 400,
                   "expected the statement as the body, or {\"sql\": \"...\"}" +
                       (st.ok() ? std::string() : ": " + st.message()));
    sql = one.column(0).GetValue(0).string_value();
  }
  bool text = req.get_param_value("format") == "text";
  Result<StatementResult> r = app->Execute(sql);
  if (!r.ok()) {
    if (text) {
      res.status = 400;
      return res.set_content(r.status().message() + "\n", "text/plain; charset=utf-8");
    }
    return Error(res, 400, r.status().message());
  }
  if (text) return res.set_content(ResultTable(*r), "text/plain; charset=utf-8");
  Json(res, 200, ResultJson(*r));
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(AppRuntime* app,
                                                      const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(app, options);
  Impl& s = *impl;
  // Tails hold a thread each while they last: room for them and for requests beside them.
  s.http.new_task_queue = [] { return new httplib::ThreadPool(kMaxTails + 16); };
  // SO_REUSEADDR only: the library's default adds SO_REUSEPORT, with which a second app on the
  // same port would bind too and share its requests.
  s.http.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof yes);
  });
  s.http.set_payload_max_length(64 << 20);
  s.http.set_read_timeout(std::chrono::seconds(10));
  s.http.set_write_timeout(std::chrono::seconds(10));
  s.http.set_keep_alive_timeout(5);
  s.http.set_tcp_nodelay(true);
  s.Routes();
  s.port = s.options.port == 0
               ? s.http.bind_to_any_port(s.options.host)
               : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
  if (s.port < 0)
    return Status::IoError("the HTTP server cannot listen on " + s.options.host + ":" +
                           std::to_string(s.options.port) + " (is the port in use?)");
  s.listener = std::thread([&s] {
    s.http.listen_after_bind();
    s.listen_returned.store(true);
  });
  // stop() is a no-op until the server runs: wait for it, so that a server destroyed at once
  // (an app that fails to start) does not leave its listener waiting for a connection.
  while (!s.http.is_running() && !s.listen_returned.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (s.listen_returned.load()) {
    s.listener.join();
    return Status::IoError("the HTTP server on " + s.options.host + ":" + std::to_string(s.port) +
                           " stopped as it started");
  }
  s.sampler = std::thread([&s] { s.Sample(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->stopping.store(true);
  }
  impl_->stop_cv.notify_all();
  impl_->http.stop();
  impl_->listener.join();
  impl_->sampler.join();
}

int HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
  std::string host = impl_->options.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

}  // namespace sluice::server
