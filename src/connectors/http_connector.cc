// The HTTP sink: each batch of the sink runtime is one POST to 'url', as a JSON array of rows or
// as one row per line; 'header.<Name>' properties add headers. cpp-httplib stays in this file.
#include <httplib.h>

#include <cctype>

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
    if (!r) return Status::IoError("POST failed: " + httplib::to_string(r.error()));
    int code = r->status;
    if (code >= 200 && code < 300) return Status::OK();
    std::string answer = "the server answered " + std::to_string(code) +
                         (r->body.empty() ? "" : ": " + r->body.substr(0, 200));
    // Overloaded or failing servers may recover: retried. Any other refusal is about the request.
    if (code == 408 || code == 429 || code >= 500) return Status::IoError(answer);
    return Status::InvalidArgument(answer);
  }

 private:
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

}  // namespace

Result<std::unique_ptr<Sink>> MakeHttpSink(const plan::StreamDef& def, const SinkOpen& open) {
  ASSIGN_OR_RETURN(HttpTarget target, ParseHttpTarget(def));
  return OpenRuntimeSink(def, std::make_unique<HttpStore>(def, std::move(target), open.changelog));
}

}  // namespace sluice::connectors
