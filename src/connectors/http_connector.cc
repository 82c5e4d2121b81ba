// HTTP: a source that takes POSTs of events (JSON lines, a JSON array, or CSV lines) on its own
// 'port', and a sink that POSTs each batch of the sink runtime to 'url', as a JSON array of rows
// or one row per line. cpp-httplib stays in this file.
#include <httplib.h>

#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/format.h"
#include "common/log.h"
#include "connectors/event_body.h"
#include "connectors/json_codec.h"
#include "exec/event_time.h"

#include "common/url.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "connectors/sink_runtime.h"
#include "plan/options.h"

namespace sluice::connectors {

namespace {

struct HttpTarget {
  std::string origin;          // scheme://host:port, what the client connects to
  std::string path;            // with the query, "/" when the URL has none
  std::string where;           // the URL without a password
  std::string user, password;  // basic authentication, from the URL
  httplib::Headers headers;
  int64_t connect_timeout_ms = 5000;
  int64_t timeout_ms = 10'000;
  bool array = true;  // the body: a JSON array of rows, or one row per line
  std::string content_type;
};

class HttpConnection : public SinkConnection {
 public:
  explicit HttpConnection(const HttpTarget& t) : t_(t), client_(t.origin) {
    auto ms = [](int64_t v) { return std::chrono::milliseconds(v); };
    client_.set_connection_timeout(ms(t.connect_timeout_ms));
    client_.set_read_timeout(ms(t.timeout_ms));
    client_.set_write_timeout(ms(t.timeout_ms));
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);  // a batch is one request: Nagle would hold its last segment
    if (!t.user.empty() || !t.password.empty())
      client_.set_basic_auth(t.user.c_str(), t.password.c_str());
  }

  Status Write(const SinkRecords& records, size_t begin, size_t end) override {
    body_.clear();
    if (t_.array) body_.push_back('[');
    for (size_t i = begin; i < end; ++i) {
      if (t_.array && i > begin) body_.push_back(',');
      body_.append(records.value(i));
      if (!t_.array) body_.push_back('\n');
    }
    if (t_.array) body_.push_back(']');
    httplib::Result r = client_.Post(t_.path, t_.headers, body_, t_.content_type);
    if (!r) return Status::IoError("POST failed: " + Failure(r.error()));
    int code = r->status;
    if (code >= 200 && code < 300) return Status::OK();
    std::string answer = "the server answered " + std::to_string(code) + Excerpt(*r);
    // Overloaded or failing servers may recover: retried. Any other refusal is about the request
    // (501: the server does not take POST at all).
    if (code == 408 || code == 429 || (code >= 500 && code != 501 && code != 505))
      return Status::IoError(answer);
    return Status::InvalidArgument(answer);
  }

 private:
  static std::string Failure(httplib::Error e) {
    switch (e) {
      case httplib::Error::Connection:
        return "cannot connect (nothing listens there, or it is unreachable)";
      case httplib::Error::ConnectionTimeout:
        return "connecting timed out ('connect.timeout')";
      case httplib::Error::Read:
        return "no answer (the connection closed, or 'timeout' passed)";
      case httplib::Error::Write:
        return "the request could not be sent (the connection closed)";
      default:
        return httplib::to_string(e);
    }
  }

  // The start of an answer's body, on one line; an HTML page is not quoted.
  static std::string Excerpt(const httplib::Response& r) {
    if (r.body.empty()) return "";
    if (r.get_header_value("Content-Type").find("html") != std::string::npos)
      return " (an HTML page)";
    std::string s;
    for (char c : r.body.substr(0, 200)) {
      bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
      if (space && (s.empty() || s.back() == ' ')) continue;
      s.push_back(space ? ' ' : c);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s.empty() ? "" : ": " + s + (r.body.size() > 200 ? "..." : "");
  }

  const HttpTarget& t_;
  httplib::Client client_;
  std::string body_;
};

class HttpStore : public SinkStore {
 public:
  HttpStore(const plan::StreamDef& def, HttpTarget target, bool changelog)
      : def_(def), target_(std::move(target)), format_(SinkFormatOf(def, changelog)) {}

  void Encode(const Batch& batch, size_t row, SinkRecords* out) override {
    out->EndKey();  // no key: 'partition.key' orders the rows that need it
    AppendSinkRow(format_, def_.schema, batch, row, out->bytes());
    out->bytes()->pop_back();  // the line's '\n': the body puts its own separators
    out->EndRecord(batch.kind(row));
  }

  Result<std::unique_ptr<SinkConnection>> Connect() override {
    return std::unique_ptr<SinkConnection>(std::make_unique<HttpConnection>(target_));
  }

  std::string where() const override { return target_.where; }
  bool keyed() const override { return false; }

 private:
  const plan::StreamDef& def_;
  HttpTarget target_;
  SinkFormat format_;
};

Result<HttpTarget> ParseHttpTarget(const plan::StreamDef& def) {
  HttpTarget t;
  std::string text = Prop(def, "url", "");
  if (text.empty())
    return SinkConfigError(def, "connector 'http' needs a 'url' such as 'http://host:8080/in'");
  Result<Url> url = ParseUrl(text);
  if (!url.ok()) return SinkConfigError(def, "'url': " + url.status().message());
  if (url->scheme != "http" && url->scheme != "https")
    return SinkConfigError(
        def, "'url' must start with http:// or https://, got '" + RedactedUrl(*url) + "'");
  std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  t.origin = url->scheme + "://" + host + (url->port ? ":" + std::to_string(url->port) : "");
  t.path = url->path.empty() ? "/" : url->path;
  t.where = RedactedUrl(*url);
  t.user = url->user;
  t.password = url->password;
  std::string content_type;
  for (const auto& [key, value] : def.connector->properties) {
    if (key.rfind("header.", 0) != 0 || key.size() <= 7) continue;
    std::string name = key.substr(7);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "content-type") {
      content_type = value;  // httplib sets it from Post's argument
    } else {
      t.headers.emplace(name, value);
    }
  }
  RETURN_IF_ERROR(DurationProperty(def, "connect.timeout", 1, &t.connect_timeout_ms));
  RETURN_IF_ERROR(DurationProperty(def, "timeout", 1, &t.timeout_ms));
  std::string body = Prop(def, "body", "array");
  for (char& c : body) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (body != "array" && body != "lines")
    return SinkConfigError(def, "'body' must be 'array' or 'lines', got '" + body + "'");
  bool csv = def.connector->format == "csv";
  if (body == "array" && csv)
    return SinkConfigError(
        def, "a JSON array body needs 'format'='json'; CSV rows go as 'body'='lines'");
  t.array = body == "array";
  t.content_type = !content_type.empty() ? content_type
                   : t.array             ? "application/json"
                   : csv                 ? "text/csv"
                                         : "application/x-ndjson";
  return t;
}

// Answers a request with a JSON body.
void Answer(httplib::Response& res, int status, const std::string& json) {
  res.status = status;
  res.set_content(json, "application/json");
}

std::string JsonError(const std::string& message) {
  std::string s = "{\"error\":";
  AppendJsonString(&s, message);
  s.push_back('}');
  return s;
}

// The source: a server on the source's thread's behalf. A request's events are decoded on the
// server's thread that took it, all or nothing (a malformed event rejects the request with 400,
// naming the line, and nothing of it is taken), and queued; the source's thread sends what is
// queued into the stream. A full queue answers 503 with Retry-After: backpressure for clients.
// What was answered 202 is sent, even at shutdown.
class HttpSource final : public Source {
 public:
  explicit HttpSource(const plan::StreamDef& def) : def_(def) {
    host_ = Prop(def, "host", "127.0.0.1");
    port_ = std::atoi(Prop(def, "port", "0").c_str());
    path_ = Prop(def, "path", "/" + def.name);
    if (path_.empty() || path_[0] != '/') path_ = "/" + path_;
    capacity_ = static_cast<size_t>(std::atoll(Prop(def, "queue.size", "10000").c_str()));
    csv_ = def.connector->format == "csv";
    std::string delim = Prop(def, "delimiter", ",");
    delimiter_ = delim.empty() ? ',' : delim[0];
  }

  std::string where() const override {
    return "http://" + host_ + ":" + std::to_string(port_) + path_;
  }

  Status Run(SourceContext& ctx) override {
    httplib::Server server;
    server.set_payload_max_length(64 << 20);
    server.set_tcp_nodelay(true);
    server.Post(path_,
                [&](const httplib::Request& req, httplib::Response& res) { Take(req, res, ctx); });
    // The library's own answers (a wrong path or method, a body it refuses) say why, in JSON.
    server.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string why;
      if (res.status == 404) {
        why = "nothing takes " + req.method + " " + req.path + " here: stream '" + def_.name +
              "' takes POST " + path_;
      } else if (res.status == 413) {
        why = TooLargeBody(req.get_header_value("Content-Type"));
      } else {
        why = "HTTP " + std::to_string(res.status);
      }
      res.set_content(JsonError(why), "application/json");
    });
    if (!server.bind_to_port(host_.c_str(), port_))
      return Status::IoError("stream '" + def_.name + "': cannot listen on " + host_ + ":" +
                             std::to_string(port_) + " (is the port in use?)");
    std::thread listener([&] { server.listen_after_bind(); });
    Status st;
    for (;;) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(100),
                     [&] { return !queue_.empty() || ctx.stopping(); });
        if (queue_.empty()) {
          if (ctx.stopping()) break;
          continue;
        }
        batch = std::move(queue_.front());
        queue_.pop_front();
        queued_ -= batch.num_rows();
      }
      st = ctx.emit(batch, "");
      if (!st.ok()) break;
    }
    server.stop();
    listener.join();
    // Taken before the server stopped: sent too, unless the app failed; then what was answered
    // 202 and could not be sent is said, with its count.
    std::lock_guard<std::mutex> lock(mu_);
    while (st.ok() && !queue_.empty()) {
      st = ctx.emit(queue_.front(), "");
      if (st.ok()) queued_ -= queue_.front().num_rows();
      queue_.pop_front();
    }
    if (!st.ok() && queued_ > 0)
      Log(LogLevel::kError,
          "stream '" + def_.name + "': " + std::to_string(queued_) +
              " event(s) taken over HTTP (answered 202) were lost: " + st.message());
    queue_.clear();
    queued_ = 0;
    return st;
  }

 private:
  void Take(const httplib::Request& req, httplib::Response& res, SourceContext& ctx) {
    Batch batch(def_.schema);
    std::unique_ptr<JsonRowDecoder> decoder = TakeDecoder();
    EventBody how;
    how.schema = &def_.schema;
    how.csv = csv_;
    how.delimiter = delimiter_;
    how.json = decoder.get();
    how.accept = [this](Batch* b, size_t row, std::string* problem) {
      return exec::AcceptSourceRow(def_, b, row, problem);
    };
    how.malformed = [&](const std::string& where, const std::string& why) {
      ctx.malformed(Where(req, where), why);
    };
    std::string problems;
    Result<size_t> bad = DecodeEventBody(req.body, how, ctx.clock->NowMillis(), &batch, &problems);
    GiveBackDecoder(std::move(decoder));
    if (!bad.ok()) return Answer(res, 400, JsonError(bad.status().message()));
    if (*bad > 0)
      return Answer(
          res, 400,
          JsonError(std::to_string(*bad) + " malformed event(s), nothing was taken: " + problems));
    size_t n = batch.num_rows();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queued_ > 0 && queued_ + n > capacity_) {
        res.set_header("Retry-After", "1");
        return Answer(res, 503,
                      JsonError("stream '" + def_.name + "' is busy: its queue holds " +
                                std::to_string(queued_) + " of " + std::to_string(capacity_) +
                                " events; retry after 1 s"));
      }
      if (n > 0) {
        queue_.push_back(std::move(batch));
        queued_ += n;
        progress_.records.fetch_add(n, std::memory_order_relaxed);
        progress_.bytes.fetch_add(req.body.size(), std::memory_order_relaxed);
      }
    }
    cv_.notify_one();
    Answer(res, 202, "{\"accepted\":" + std::to_string(n) + "}");
  }

  // Decoders hold a parser's buffers: the server's threads reuse them rather than make one per
  // request.
  std::unique_ptr<JsonRowDecoder> TakeDecoder() {
    std::lock_guard<std::mutex> lock(decoders_mu_);
    if (decoders_.empty()) return std::make_unique<JsonRowDecoder>(def_.schema);
    std::unique_ptr<JsonRowDecoder> d = std::move(decoders_.back());
    decoders_.pop_back();
    return d;
  }
  void GiveBackDecoder(std::unique_ptr<JsonRowDecoder> d) {
    std::lock_guard<std::mutex> lock(decoders_mu_);
    decoders_.push_back(std::move(d));
  }

  std::string Where(const httplib::Request& req, const std::string& what) const {
    return "POST " + path_ + " from " + req.remote_addr + " " + what;
  }

  const plan::StreamDef& def_;
  std::string host_, path_;
  int port_ = 0;
  size_t capacity_ = 10000;
  bool csv_ = false;
  char delimiter_ = ',';
  std::mutex mu_;  // queue_, queued_: held only to queue or take a batch
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  size_t queued_ = 0;  // events in queue_
  std::mutex decoders_mu_;
  std::vector<std::unique_ptr<JsonRowDecoder>> decoders_;  // idle, for the server's threads
};

}  // namespace

Result<std::unique_ptr<Source>> MakeHttpSource(const plan::StreamDef& def) {
  if (std::atoi(Prop(def, "port", "0").c_str()) <= 0)
    return SinkConfigError(def, "an HTTP source needs a 'port' to listen on");
  return std::unique_ptr<Source>(new HttpSource(def));
}

Result<std::unique_ptr<Sink>> MakeHttpSink(const plan::StreamDef& def, const SinkOpen& open) {
  ASSIGN_OR_RETURN(HttpTarget target, ParseHttpTarget(def));
  return OpenRuntimeSink(def, std::make_unique<HttpStore>(def, std::move(target), open.changelog));
}

}  // namespace sluice::connectors
