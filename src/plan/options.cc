#include "plan/options.h"

#include <algorithm>
#include <cctype>

#include "common/convert.h"
#include "common/format.h"
#include "common/row_key.h"
#include "common/url.h"
#include "plan/plan.h"
#include "sluice/batch.h"
#include "sql/interval.h"
#include "sql/parser.h"

namespace sluice::plan {

using sql::Annotation;
using sql::AnnotationOption;
using sql::Diagnostics;
using sql::Property;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ParseBoolOption(const AnnotationOption& o, Diagnostics* diags, const std::string& where) {
  bool b = false;
  if (!ParseBool(o.value, &b))
    diags->Error(o.loc, where + " expects 'true' or 'false', got '" + o.value + "'");
  return b;
}

int64_t ParsePositive(const std::string& value, sql::Loc loc, const std::string& what,
                      Diagnostics* diags, int64_t min = 1) {
  int64_t v = 0;
  if (!ParseInt64(value, &v) || v < min) {
    diags->Error(loc, what + " needs " + (min == 0 ? "a non-negative" : "a positive") +
                          " integer, got '" + value + "'");
    return min;
  }
  return v;
}

void UnknownOption(const AnnotationOption& o, const std::string& annotation,
                   const std::vector<std::string>& known, Diagnostics* diags) {
  std::string suggestion;
  if (o.key.find('.') != std::string::npos) {
    std::string underscored = o.key;
    std::replace(underscored.begin(), underscored.end(), '.', '_');
    suggestion = sql::DidYouMean(underscored, known);
    if (!suggestion.empty()) suggestion += " (option names use underscores, not dots)";
  }
  if (suggestion.empty()) suggestion = sql::DidYouMean(o.key, known);
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  diags->Error(o.loc, "unknown option '" + o.key + "' in @" + annotation + " (known: " + list + ")",
               suggestion, static_cast<int>(o.key.size()));
}

}  // namespace

// Time amounts in options: "5000" (ms), "5s", "60s", "5 min", "1d".
bool ParseDurationText(const std::string& text, int64_t* ms) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  double amount;
  if (i == 0 || !ParseDouble(text.substr(0, i), &amount)) return false;
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  int64_t per = 1;
  if (!unit.empty()) {
    if (unit == "s") {
      per = 1000;
    } else if (unit == "m") {
      per = 60000;
    } else if (unit == "h") {
      per = 3600000;
    } else if (unit == "d") {
      per = 86400000;
    } else {
      per = sql::DurationUnitMillis(unit);
      if (per == 0) return false;
    }
  }
  double total = amount * static_cast<double>(per);
  if (!(total < 9.2e18)) return false;  // its milliseconds must fit in BIGINT
  *ms = static_cast<int64_t>(total);
  return true;
}

bool ParseByteSize(const std::string& text, int64_t* bytes) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  int64_t amount = 0;
  if (i == 0 || i > 15 || !ParseInt64(text.substr(0, i), &amount)) return false;
  std::string unit = Lower(text.substr(i));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  int64_t per = 0;
  if (unit.empty() || unit == "b") per = 1;
  if (unit == "kb" || unit == "k") per = int64_t{1} << 10;
  if (unit == "mb" || unit == "m") per = int64_t{1} << 20;
  if (unit == "gb" || unit == "g") per = int64_t{1} << 30;
  if (per == 0 || amount > (int64_t{1} << 50) / per) return false;
  *bytes = amount * per;
  return true;
}

AppSettings ApplyAppAnnotations(const std::vector<Annotation>& annotations, Diagnostics* diags) {
  AppSettings s;
  const std::vector<std::string> known = {"name", "async", "description"};
  for (const Annotation& a : annotations) {
    std::string lname = Lower(a.name);
    if (lname.rfind("app:", 0) == 0) {  // @app:async('true'), @app:name('x')
      std::string key = a.name.substr(4);
      if (a.options.size() != 1 || !a.options[0].key.empty()) {
        diags->Error(a.loc, "@app:" + key + " takes one value, e.g. @app:" + key + "('true')");
        continue;
      }
      AnnotationOption o = a.options[0];
      o.key = key;
      o.loc = a.loc;
      if (Lower(key) == "async") {
        s.async = ParseBoolOption(o, diags, "@app:async");
      } else if (Lower(key) == "name") {
        s.name = o.value;
      } else if (Lower(key) != "description") {
        UnknownOption(o, "app", known, diags);
      }
      continue;
    }
    for (const AnnotationOption& o : a.options) {
      std::string k = Lower(o.key);
      if (k == "async") {
        s.async = ParseBoolOption(o, diags, "@app(async=...)");
      } else if (k == "name" || (k.empty() && &o == &a.options[0])) {
        s.name = o.value;
      } else if (k != "description") {
        UnknownOption(o, "app", known, diags);
      }
    }
  }
  return s;
}

namespace {

// A state TTL: a duration such as '1 hour', '30 min' or '5000' (ms), more than zero.
bool ParseTtl(const std::string& value, sql::Loc loc, const std::string& what, Diagnostics* diags,
              int64_t* ms) {
  if (ParseDurationText(value, ms) && *ms > 0) return true;
  diags->Error(loc, what + " needs a duration such as '1 hour', '30 min' or '5000' (ms), got '" +
                        value + "'");
  return false;
}

}  // namespace

void ApplySettings(const std::vector<sql::Property>& statements, AppSettings* settings,
                   Diagnostics* diags) {
  const std::vector<std::string> known = {"state.ttl", "state.max.keys", "checkpoint.interval",
                                          "checkpoint.retain"};
  for (const sql::Property& p : statements) {
    if (p.key == "state.ttl") {
      ParseTtl(p.value, p.value_loc, "SET 'state.ttl'", diags, &settings->state.ttl_ms);
    } else if (p.key == "state.max.keys") {
      settings->state.max_keys = ParsePositive(p.value, p.value_loc, "SET 'state.max.keys'", diags);
    } else if (p.key == "checkpoint.interval") {
      ParseTtl(p.value, p.value_loc, "SET 'checkpoint.interval'", diags,
               &settings->checkpoint.interval_ms);
    } else if (p.key == "checkpoint.retain") {
      settings->checkpoint.retain =
          ParsePositive(p.value, p.value_loc, "SET 'checkpoint.retain'", diags);
    } else {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      diags->Error(p.loc, "unknown setting '" + p.key + "' (known: " + list + ")",
                   sql::DidYouMean(p.key, known), static_cast<int>(p.key.size()) + 2);
    }
  }
}

void ApplyStreamAnnotations(const std::vector<Annotation>& annotations, const AppSettings& app,
                            StreamDef* def, Diagnostics* diags) {
  def->async.enabled = app.async;
  for (const Annotation& a : annotations) {
    std::string lname = Lower(a.name);
    if (lname == "async") {
      def->async.enabled = true;
      const std::vector<std::string> known = {"buffer_size",  "workers",      "batch_size_max",
                                              "backpressure", "initialDelay", "maxDelay"};
      for (const AnnotationOption& o : a.options) {
        if (o.key.empty()) {
          diags->Error(o.loc, "@Async options are named, e.g. @Async(buffer_size='1024')");
        } else if (o.key == "buffer_size") {
          def->async.buffer_size =
              static_cast<int>(ParsePositive(o.value, o.loc, "@Async(buffer_size)", diags));
        } else if (o.key == "workers") {
          int64_t workers = ParsePositive(o.value, o.loc, "@Async(workers)", diags);
          // A worker owns whole key groups: more workers than key groups would have none.
          if (workers > kKeyGroups) {
            diags->Error(o.loc, "@Async(workers) is at most " + std::to_string(kKeyGroups) +
                                    " (an app's key groups, the unit of keyed state a worker "
                                    "owns), got " +
                                    o.value);
            workers = kKeyGroups;
          }
          def->async.workers = static_cast<int>(workers);
        } else if (o.key == "batch_size_max") {
          def->async.batch_size_max =
              static_cast<int>(ParsePositive(o.value, o.loc, "@Async(batch_size_max)", diags));
        } else if (o.key == "backpressure") {
          std::string v = Lower(o.value);
          if (v == "block") {
            def->async.backpressure = Backpressure::kBlock;
          } else if (v == "drop") {
            def->async.backpressure = Backpressure::kDrop;
          } else if (v == "exponentialbackoff") {
            def->async.backpressure = Backpressure::kExponentialBackoff;
          } else {
            diags->Error(o.loc,
                         "@Async(backpressure) must be 'block', 'drop' or "
                         "'exponentialBackoff', got '" +
                             o.value + "'",
                         sql::DidYouMean(o.value, {"block", "drop", "exponentialBackoff"}));
          }
        } else if (o.key == "initialDelay") {
          def->async.initial_delay_ms =
              ParsePositive(o.value, o.loc, "@Async(initialDelay)", diags);
        } else if (o.key == "maxDelay") {
          def->async.max_delay_ms = ParsePositive(o.value, o.loc, "@Async(maxDelay)", diags);
        } else {
          UnknownOption(o, "Async", known, diags);
        }
      }
      if (def->async.max_delay_ms < def->async.initial_delay_ms)
        diags->Error(a.loc, "@Async: maxDelay (" + std::to_string(def->async.max_delay_ms) +
                                ") is smaller than initialDelay (" +
                                std::to_string(def->async.initial_delay_ms) + ")");
    } else if (lname == "config") {
      for (const AnnotationOption& o : a.options) {
        if (o.key == "async") {
          def->async.enabled = ParseBoolOption(o, diags, "@config(async)");
        } else {
          UnknownOption(o, "config", {"async"}, diags);
        }
      }
    } else if (lname == "onerror") {
      for (const AnnotationOption& o : a.options) {
        if (o.key != "action" && !(o.key.empty() && a.options.size() == 1)) {
          UnknownOption(o, "onError", {"action"}, diags);
          continue;
        }
        std::string v = Lower(o.value);
        if (v == "stream") {
          def->on_error = ErrorAction::kStream;
        } else if (v == "log") {
          def->on_error = ErrorAction::kLog;
        } else if (v == "drop") {
          def->on_error = ErrorAction::kDrop;
        } else if (v == "fail") {
          def->on_error = ErrorAction::kFail;
        } else {
          diags->Error(
              o.loc,
              "@onError(action) must be 'stream', 'log', 'drop' or 'fail', got '" + o.value + "'",
              sql::DidYouMean(o.value, {"stream", "log", "drop", "fail"}));
        }
      }
    } else if (lname == "name" || lname == "info") {
      diags->Error(a.loc, "@" + a.name + " names a query; it cannot stand on a stream definition");
    } else {
      diags->Error(a.loc, "unknown annotation @" + a.name + " on a stream",
                   sql::DidYouMean(a.name, {"Async", "config", "onError"}),
                   static_cast<int>(a.name.size()) + 1);
    }
  }
}

namespace {

const std::vector<std::string> kGenericKeys = {"type",
                                               "connector",
                                               "format",
                                               "event.time.field",
                                               "event.time.source",
                                               "event.time.format",
                                               "event.time.allowed.lateness",
                                               "late.data",
                                               "partition.key",
                                               "table.load.timeout"};
const std::vector<std::string> kFileKeys = {
    "path", "header", "delimiter", "follow", "wait.timeout", "rolling.size", "rolling.interval"};
const std::vector<std::string> kGeneratorKeys = {"rate", "count", "seed"};
const std::vector<std::string> kKafkaKeys = {"topic",
                                             "bootstrap.servers",
                                             "group.id",
                                             "auto.offset.reset",
                                             "topic.wait.timeout",
                                             "topic.retry.interval",
                                             "connect.timeout",
                                             "key.field",
                                             "partition.field",
                                             "offset.field",
                                             "timestamp.field"};
// The sink runtime's (connectors/sink_runtime.h), for every sink that writes to a store.
const std::vector<std::string> kSinkRuntimeKeys = {"queue.size",
                                                   "queue.full",
                                                   "batch.size",
                                                   "batch.timeout",
                                                   "workers",
                                                   "retry.max",
                                                   "retry.backoff.initial",
                                                   "retry.backoff.max",
                                                   "circuit.breaker.threshold",
                                                   "circuit.breaker.timeout"};
const std::vector<std::string> kRedisKeys = {
    "url", "key", "command", "ttl", "timeout", "connect.timeout", "delimiter"};
// A table backed by a store's (plan::ConnectorConfig::backs_table).
const std::vector<std::string> kCacheKeys = {"cache.size", "cache.ttl"};
const std::vector<std::string> kHttpKeys = {"url",       "body", "timeout", "connect.timeout",
                                            "delimiter", "port", "host",    "path"};
const std::vector<std::string> kPostgresKeys = {
    "url", "table", "key", "connect.timeout", "query", "poll.column", "poll.interval"};
const std::vector<std::string> kKnownConnectors = {"stdin", "stdout", "file",  "generator",
                                                   "kafka", "http",   "redis", "postgres"};

}  // namespace

Result<std::vector<KeyTemplatePart>> ParseKeyTemplate(const std::string& text, const Schema& schema,
                                                      bool literal_ok) {
  std::vector<KeyTemplatePart> parts;
  auto names = [&] {
    std::vector<std::string> n;
    for (const auto& f : schema.fields()) n.push_back(f.name);
    return n;
  };
  auto unknown = [&](const std::string& name) {
    std::string hint = sql::DidYouMean(name, names());
    return Status::InvalidArgument("'" + name + "' is not an attribute" +
                                   (hint.empty() ? "" : " (" + hint + ")"));
  };
  if (text.find('{') == std::string::npos && text.find('}') == std::string::npos) {
    if (int c = schema.IndexOf(text); c >= 0) return std::vector<KeyTemplatePart>{{"", c}};
    if (literal_ok && !text.empty()) return std::vector<KeyTemplatePart>{{text, -1}};
    Status st = unknown(text);
    return Status::InvalidArgument(st.message() +
                                   "; a key is an attribute or a template such as 'user:{id}'");
  }
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    size_t close = text.find('}', i);
    if (close < open)
      return Status::InvalidArgument("a '}' without its '{' at position " +
                                     std::to_string(close + 1));
    if (open == std::string::npos) {
      parts.push_back({text.substr(i), -1});
      break;
    }
    if (open > i) parts.push_back({text.substr(i, open - i), -1});
    if (close == std::string::npos)
      return Status::InvalidArgument("a '{' without its '}' at position " +
                                     std::to_string(open + 1));
    std::string name = text.substr(open + 1, close - open - 1);
    int c = schema.IndexOf(name);
    if (c < 0) return unknown(name);
    parts.push_back({"", c});
    i = close + 1;
  }
  return parts;
}

bool IsKnownConnector(const std::string& name) {
  return std::find(kKnownConnectors.begin(), kKnownConnectors.end(), name) !=
         kKnownConnectors.end();
}

namespace {

// The names of a comma-separated list ('key'='a, b'), trimmed.
std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> names;
  for (size_t from = 0; from <= text.size();) {
    size_t comma = text.find(',', from);
    std::string name =
        text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    names.push_back(std::move(name));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return names;
}

// The sink runtime's properties (connectors/sink_runtime.h), each checked where it is written.
template <typename Get>
void CheckSinkRuntime(const Get& get, Diagnostics* diags) {
  for (const char* k : {"queue.size", "batch.size", "workers", "circuit.breaker.threshold"})
    if (const Property* f = get(k))
      ParsePositive(f->value, f->value_loc, std::string("'") + k + "'", diags, 1);
  if (const Property* f = get("workers")) {
    int64_t v = 0;
    if (ParseInt64(f->value, &v) && v > 256)
      diags->Error(f->value_loc, "'workers' may be at most 256, got " + f->value);
  }
  if (const Property* f = get("retry.max"))
    ParsePositive(f->value, f->value_loc, "'retry.max'", diags, 0);
  for (const char* k : {"batch.timeout", "retry.backoff.initial", "retry.backoff.max",
                        "circuit.breaker.timeout", "ttl", "timeout", "connect.timeout"}) {
    if (const Property* f = get(k)) {
      int64_t ms;
      // Waits may be zero; a delay between retries, a timeout and an expiry may not.
      bool zero_ok =
          std::string(k) == "batch.timeout" || std::string(k) == "circuit.breaker.timeout";
      if (!ParseDurationText(f->value, &ms) || ms < (zero_ok ? 0 : 1))
        diags->Error(f->value_loc, std::string("'") + k +
                                       "' needs a duration such as '25ms' or '30s', got '" +
                                       f->value + "'");
    }
  }
  if (const Property* f = get("queue.full")) {
    std::string v = Lower(f->value);
    if (v != "block" && v != "drop")
      diags->Error(f->value_loc, "'queue.full' must be 'block' or 'drop', got '" + f->value + "'",
                   sql::DidYouMean(f->value, {"block", "drop"}));
  }
}

template <typename Get>
void CheckRedisSink(const Get& get, const StreamDef& def, Diagnostics* diags) {
  CheckSinkRuntime(get, diags);
  std::string command = "set";
  if (const Property* f = get("command")) {
    command = Lower(f->value);
    if (command != "set" && command != "hset" && command != "xadd" && command != "publish")
      diags->Error(f->value_loc,
                   "'command' must be 'set', 'hset', 'xadd' or 'publish', got '" + f->value + "'",
                   sql::DidYouMean(f->value, {"set", "hset", "xadd", "publish"}));
  }
  const Property* connector = get("connector");
  if (const Property* f = get("url")) {
    Result<Url> url = ParseUrl(f->value);
    if (!url.ok())
      diags->Error(f->value_loc, url.status().message(), "write it as redis://host:port/db");
    else if (url->scheme != "redis")
      diags->Error(f->value_loc,
                   "a Redis 'url' starts with redis://, got '" + RedactedUrl(*url) + "'");
  } else {
    diags->Error(connector->loc, "connector 'redis' needs a 'url'",
                 "add 'url' = 'redis://127.0.0.1:6379/0'");
  }
  bool literal_ok = command == "xadd" || command == "publish";
  if (const Property* f = get("key")) {
    Result<std::vector<KeyTemplatePart>> key = ParseKeyTemplate(f->value, def.schema, literal_ok);
    if (!key.ok()) diags->Error(f->value_loc, "'key': " + key.status().message());
  } else {
    diags->Error(connector->loc, "connector 'redis' needs a 'key'",
                 literal_ok ? "add 'key' = '<the " +
                                  std::string(command == "xadd" ? "stream" : "channel") + " name>'"
                            : "add 'key' = 'an attribute', or a template such as 'user:{id}'");
  }
  if (get("ttl") && literal_ok)
    diags->Error(get("ttl")->loc, "'ttl' applies to 'set' and 'hset', not to '" + command + "'");
}

template <typename Get>
void CheckPostgresUrl(const Get& get, Diagnostics* diags) {
  if (const Property* f = get("url")) {
    Result<Url> url = ParseUrl(f->value);
    if (!url.ok())
      diags->Error(f->value_loc, url.status().message(),
                   "write it as postgresql://user@host:port/db");
    else if (url->scheme != "postgresql" && url->scheme != "postgres")
      diags->Error(f->value_loc,
                   "a PostgreSQL 'url' starts with postgresql://, got '" + RedactedUrl(*url) + "'");
  } else {
    diags->Error(get("connector")->loc, "connector 'postgres' needs a 'url'",
                 "add 'url' = 'postgresql://user@127.0.0.1:5432/db'");
  }
}

// A PostgreSQL source: a 'table' or a 'query', polled by 'poll.column' every 'poll.interval'.
template <typename Get>
void CheckPostgresSource(const Get& get, Diagnostics* diags) {
  CheckPostgresUrl(get, diags);
  if (!get("table") && !get("query"))
    diags->Error(get("connector")->loc, "a postgres source needs a 'table' or a 'query'",
                 "add 'table' = 'the table whose rows it reads'");
  if (get("table") && get("query"))
    diags->Error(get("query")->loc, "a postgres source reads a 'table' or a 'query', not both");
  for (const char* k : {"connect.timeout", "poll.interval"})
    if (const Property* f = get(k)) {
      int64_t ms;
      if (!ParseDurationText(f->value, &ms) || ms <= 0)
        diags->Error(f->value_loc, std::string("'") + k + "' needs a duration such as '1s', got '" +
                                       f->value + "'");
    }
  if (const Property* f = get("poll.interval"); f && !get("poll.column"))
    diags->Error(f->loc, "'poll.interval' needs a 'poll.column' to poll by",
                 "add 'poll.column' = a column every write moves up (a sequence, updated_at)");
  for (const char* k : {"key", "queue.size", "queue.full", "batch.size", "batch.timeout", "workers",
                        "retry.max", "retry.backoff.initial", "retry.backoff.max",
                        "circuit.breaker.threshold", "circuit.breaker.timeout"})
    if (const Property* f = get(k))
      diags->Error(f->loc, std::string("'") + k + "' is for a postgres sink, not a source");
}

template <typename Get>
void CheckPostgresSink(const Get& get, const StreamDef& def, Diagnostics* diags) {
  CheckSinkRuntime(get, diags);
  CheckPostgresUrl(get, diags);
  for (const char* k : {"query", "poll.column", "poll.interval"})
    if (const Property* f = get(k))
      diags->Error(f->loc, std::string("'") + k + "' is for a postgres source, not a sink",
                   "a sink writes to its 'table'");
  if (!get("table"))
    diags->Error(get("connector")->loc, "connector 'postgres' needs a 'table'",
                 "add 'table' = 'the table the rows go to'");
  if (const Property* f = get("key")) {
    std::vector<std::string> names;
    for (const auto& field : def.schema.fields()) names.push_back(field.name);
    for (const std::string& name : CommaList(f->value))
      if (def.schema.IndexOf(name) < 0)
        diags->Error(f->value_loc,
                     "'key': '" + name + "' is not an attribute of '" + def.name + "'",
                     sql::DidYouMean(name, names));
  }
}

// The attributes that take a Kafka record's key, partition, offset and timestamp (a source), or
// give each message its key (a sink).
template <typename Get>
void CheckKafkaFields(const Get& get, const StreamDef& def, Diagnostics* diags) {
  if (const Property* f = get("connect.timeout")) {
    int64_t ms;
    if (!ParseDurationText(f->value, &ms))
      diags->Error(f->value_loc,
                   "'connect.timeout' needs a duration such as '30s' ('0': do not "
                   "wait for a broker), got '" +
                       f->value + "'");
  }
  bool source = def.connector && def.connector->is_source;
  std::vector<std::string> names;
  for (const auto& field : def.schema.fields()) names.push_back(field.name);
  for (const char* k : {"key.field", "partition.field", "offset.field", "timestamp.field"}) {
    const Property* f = get(k);
    if (!f) continue;
    int c = def.schema.IndexOf(f->value);
    if (c < 0) {
      diags->Error(
          f->value_loc,
          std::string("'") + k + "': '" + f->value + "' is not an attribute of '" + def.name + "'",
          sql::DidYouMean(f->value, names));
      continue;
    }
    TypeId t = def.schema.field(c).type.id;
    if (!source && std::string(k) != "key.field") {
      diags->Error(f->loc, std::string("'") + k + "' is for a Kafka source, not a sink",
                   "a sink sets only each message's key, with 'key.field'");
    } else if (source && std::string(k) == "key.field" && t != TypeId::kString) {
      diags->Error(f->value_loc, "'key.field' of a source must be a STRING attribute: '" +
                                     f->value + "' is " + def.schema.field(c).type.ToString());
    } else if (source && def.is_table && std::string(k) == "key.field" &&
               def.primary_key != std::vector<int>{c}) {
      // A tombstone gives only the key: it must be the whole key of the row it deletes.
      diags->Error(f->value_loc,
                   "'key.field' of a table must be its PRIMARY KEY: the message key says which "
                   "row a tombstone deletes, and '" +
                       f->value + "' is not the table's key");
    } else if (source && std::string(k) != "key.field" && t != TypeId::kInt &&
               t != TypeId::kBigint && t != TypeId::kTimestamp) {
      diags->Error(f->value_loc, std::string("'") + k + "' must be an INT, BIGINT or TIMESTAMP " +
                                     "attribute: '" + f->value + "' is " +
                                     def.schema.field(c).type.ToString());
    }
  }
}

template <typename Get>
void CheckHttpSource(const Get& get, Diagnostics* diags) {
  if (const Property* f = get("port")) {
    int64_t port = ParsePositive(f->value, f->value_loc, "'port'", diags, 1);
    if (port > 65535) diags->Error(f->value_loc, "'port' must be at most 65535, got " + f->value);
  } else {
    diags->Error(get("connector")->loc, "an HTTP source needs a 'port' to listen on",
                 "add 'port' = '8080' (and 'path', by default '/<stream>')");
  }
  if (const Property* f = get("queue.size"))
    ParsePositive(f->value, f->value_loc, "'queue.size'", diags, 1);
  if (const Property* f = get("path"); f && (f->value.empty() || f->value[0] != '/'))
    diags->Error(f->value_loc, "an HTTP source's 'path' starts with '/', got '" + f->value + "'");
  for (const char* k : {"url", "body", "timeout", "connect.timeout", "batch.size", "batch.timeout",
                        "workers", "retry.max", "retry.backoff.initial", "retry.backoff.max",
                        "circuit.breaker.threshold", "circuit.breaker.timeout", "queue.full"})
    if (const Property* f = get(k))
      diags->Error(f->loc, std::string("'") + k + "' is for an HTTP sink, not a source",
                   "a source listens on 'port' and 'path'");
}

template <typename Get>
void CheckHttpSink(const Get& get, const ConnectorConfig& cfg, Diagnostics* diags) {
  for (const char* k : {"port", "host", "path"})
    if (const Property* f = get(k))
      diags->Error(f->loc, std::string("'") + k + "' is for an HTTP source, not a sink",
                   "a sink posts to its 'url'");
  CheckSinkRuntime(get, diags);
  if (const Property* f = get("url")) {
    Result<Url> url = ParseUrl(f->value);
    if (!url.ok())
      diags->Error(f->value_loc, url.status().message(), "write it as http://host:port/path");
    else if (url->scheme != "http" && url->scheme != "https")
      diags->Error(f->value_loc, "an HTTP 'url' starts with http:// or https://, got '" +
                                     RedactedUrl(*url) + "'");
  } else {
    diags->Error(get("connector")->loc, "connector 'http' needs a 'url'",
                 "add 'url' = 'http://127.0.0.1:8080/events'");
  }
  if (const Property* f = get("body")) {
    std::string v = Lower(f->value);
    if (v != "array" && v != "lines")
      diags->Error(f->value_loc, "'body' must be 'array' or 'lines', got '" + f->value + "'",
                   sql::DidYouMean(f->value, {"array", "lines"}));
    else if (v == "array" && cfg.format == "csv")
      diags->Error(f->value_loc, "a JSON array body needs 'format'='json'",
                   "send CSV rows as 'body'='lines'");
  } else if (cfg.format == "csv") {
    diags->Error(get("format")->value_loc, "a JSON array body (the default) needs 'format'='json'",
                 "send CSV rows with 'body'='lines'");
  }
}

// A table that lives in Redis or PostgreSQL: rows are found by their primary key, so the store's
// key is the table's ('key' of Redis names its columns, 'key' of PostgreSQL is them), and its
// cache is bounded.
template <typename Get>
void CheckBackedTable(const Get& get, const StreamDef& def, ConnectorConfig* cfg,
                      Diagnostics* diags) {
  const Property* connector = get("connector");
  std::string where =
      "a table that lives in " + std::string(cfg->connector == "redis" ? "Redis" : "PostgreSQL");
  if (def.primary_key.empty()) {
    diags->Error(connector->loc, where + " needs a PRIMARY KEY",
                 "its rows are looked up and written by key: declare it, e.g. " +
                     (def.schema.size() > 0 ? def.schema.field(0).name : std::string("id")) +
                     " STRING PRIMARY KEY",
                 static_cast<int>(connector->key.size()) + 2);
    return;
  }
  std::vector<int> pk = def.primary_key;
  std::sort(pk.begin(), pk.end());
  if (cfg->connector == "postgres")
    for (int c : pk) {
      TypeId t = def.schema.field(static_cast<size_t>(c)).type.id;
      if (t != TypeId::kString && t != TypeId::kInt && t != TypeId::kBigint)
        diags->Error(connector->loc,
                     where + " is looked up by keys that are STRING, INT or BIGINT: '" +
                         def.schema.field(static_cast<size_t>(c)).name + "' is " +
                         def.schema.field(static_cast<size_t>(c)).type.ToString(),
                     "key the table by a STRING or integer column",
                     static_cast<int>(connector->key.size()) + 2);
    }
  std::string pk_names;
  for (int c : def.primary_key)
    pk_names += (pk_names.empty() ? "" : ", ") + def.schema.field(static_cast<size_t>(c)).name;
  if (cfg->connector == "redis") {
    if (const Property* f = get("command")) {
      std::string c = Lower(f->value);
      if (c == "xadd" || c == "publish")
        diags->Error(f->value_loc,
                     where + " is written with 'set' or 'hset', not '" + f->value + "'",
                     "a stream, not a table, appends to a Redis stream or publishes");
    }
    if (const Property* f = get("key")) {
      Result<std::vector<KeyTemplatePart>> key = ParseKeyTemplate(f->value, def.schema, false);
      if (key.ok()) {
        std::vector<int> used;
        for (const KeyTemplatePart& part : *key)
          if (part.column >= 0) used.push_back(part.column);
        std::sort(used.begin(), used.end());
        used.erase(std::unique(used.begin(), used.end()), used.end());
        if (used != pk)
          diags->Error(f->value_loc,
                       "the Redis 'key' of a table is made of its primary key (" + pk_names +
                           "), each once: a row is looked up by it",
                       "e.g. 'key' = '" + def.name + ":{" +
                           def.schema.field(static_cast<size_t>(def.primary_key[0])).name + "}'");
      }
    }
  } else if (const Property* f = get("key")) {
    std::vector<int> named;
    for (const std::string& name : CommaList(f->value)) named.push_back(def.schema.IndexOf(name));
    std::sort(named.begin(), named.end());
    if (named != pk)
      diags->Error(
          f->value_loc,
          "the 'key' of a table that lives in PostgreSQL is its primary key (" + pk_names + ")",
          "drop 'key': the table's primary key is the one it upserts by");
  }
  if (const Property* f = get("cache.size")) {
    int64_t v = 0;
    if (!ParseInt64(f->value, &v) || v < 0)
      diags->Error(f->value_loc,
                   "'cache.size' needs a number of rows ('0': no cache), got '" + f->value + "'");
    else
      cfg->cache_rows = v;
  }
  if (const Property* f = get("cache.ttl")) {
    int64_t ms = 0;
    if (!ParseDurationText(f->value, &ms) || ms < 0)
      diags->Error(f->value_loc,
                   "'cache.ttl' needs a duration such as '60s' ('0': rows stay until the cache is "
                   "full), got '" +
                       f->value + "'");
    else
      cfg->cache_ttl_ms = ms;
  }
}

}  // namespace

void ApplyWithProperties(const std::vector<Property>& properties, StreamDef* def,
                         Diagnostics* diags) {
  if (properties.empty()) return;
  std::map<std::string, const Property*> by_key;
  for (const Property& p : properties) {
    if (by_key.count(p.key)) {
      diags->Error(p.loc, "property '" + p.key + "' is given twice");
      continue;
    }
    by_key[p.key] = &p;
  }
  auto get = [&](const std::string& k) -> const Property* {
    auto it = by_key.find(k);
    return it == by_key.end() ? nullptr : it->second;
  };

  std::string connector;
  bool connector_given = get("connector") != nullptr;
  if (const Property* c = get("connector")) {
    connector = Lower(c->value);
    if (!IsKnownConnector(connector)) {
      diags->Error(c->value_loc, "unknown connector '" + c->value + "'",
                   sql::DidYouMean(c->value, kKnownConnectors));
      connector.clear();
    }
  }
  // Which keys are allowed depends on the connector.
  std::vector<std::string> allowed = kGenericKeys;
  if (connector == "file" || connector == "stdin" || connector == "stdout")
    allowed.insert(allowed.end(), kFileKeys.begin(), kFileKeys.end());
  if (connector == "generator")
    allowed.insert(allowed.end(), kGeneratorKeys.begin(), kGeneratorKeys.end());
  if (connector == "kafka" || connector.empty())
    allowed.insert(allowed.end(), kKafkaKeys.begin(), kKafkaKeys.end());
  if (connector == "redis" || connector.empty())
    allowed.insert(allowed.end(), kRedisKeys.begin(), kRedisKeys.end());
  if (connector == "http" || connector.empty())
    allowed.insert(allowed.end(), kHttpKeys.begin(), kHttpKeys.end());
  if (connector == "postgres" || connector.empty())
    allowed.insert(allowed.end(), kPostgresKeys.begin(), kPostgresKeys.end());
  if (connector == "redis" || connector == "http" || connector == "postgres" || connector.empty())
    allowed.insert(allowed.end(), kSinkRuntimeKeys.begin(), kSinkRuntimeKeys.end());
  if (connector == "redis" || connector == "postgres" || connector.empty())
    allowed.insert(allowed.end(), kCacheKeys.begin(), kCacheKeys.end());
  for (const Property& p : properties) {
    bool ok = std::find(allowed.begin(), allowed.end(), p.key) != allowed.end();
    if (connector == "generator" && p.key.rfind("fields.", 0) == 0) {
      std::string attr = p.key.substr(7);
      if (def->schema.IndexOf(attr) < 0)
        diags->Error(p.loc, "'" + p.key + "' names no attribute of '" + def->name + "'",
                     sql::DidYouMean(attr, [&] {
                       std::vector<std::string> n;
                       for (const auto& f : def->schema.fields()) n.push_back(f.name);
                       return n;
                     }()));
      continue;
    }
    if (connector == "kafka" && p.key.rfind("kafka.", 0) == 0) continue;  // librdkafka passthrough
    if (connector == "http" && p.key.rfind("header.", 0) == 0 && p.key.size() > 7)
      continue;  // a request header
    if (!ok) {
      std::string where = connector.empty() ? "" : " for connector '" + connector + "'";
      diags->Error(p.loc, "unknown property '" + p.key + "'" + where,
                   sql::DidYouMean(p.key, allowed), static_cast<int>(p.key.size()) + 2);
    }
  }

  const Property* type = get("type");
  if (type) {
    std::string t = Lower(type->value);
    if (t != "source" && t != "sink") {
      diags->Error(type->value_loc, "'type' must be 'source' or 'sink', got '" + type->value + "'",
                   sql::DidYouMean(type->value, {"source", "sink"}));
    }
  }
  if (!connector.empty()) {
    auto cfg = std::make_unique<ConnectorConfig>();
    cfg->connector = connector;
    cfg->loc = get("connector")->loc;
    if (type) {
      cfg->is_source = Lower(type->value) == "source";
    } else {
      cfg->is_source = connector != "stdout";
    }
    // A table on a store, without 'type', lives in the store: looked up there, written there.
    cfg->backs_table = def->is_table && !type && (connector == "redis" || connector == "postgres");
    if (cfg->backs_table) cfg->is_source = false;
    if (connector == "stdout" && cfg->is_source)
      diags->Error(get("connector")->value_loc, "connector 'stdout' can only be a sink");
    if (connector == "redis" && cfg->is_source && def->is_table)
      diags->Error(get("type")->value_loc, "a table is not loaded from Redis",
                   "drop 'type': a table on 'redis' without it lives in Redis (looked up, "
                   "cached and written there)");
    else if (connector == "redis" && cfg->is_source)
      diags->Error(get("connector")->value_loc,
                   "connector 'redis' can only be a sink in this version",
                   "write the rows to Redis with 'type'='sink'");
    if ((connector == "stdin" || connector == "generator") && !cfg->is_source)
      diags->Error(get("connector")->value_loc,
                   "connector '" + connector + "' can only be a source");
    for (const char* k : {"follow", "wait.timeout"})
      if (const Property* f = get(k); f && (connector != "file" || !cfg->is_source))
        diags->Error(f->loc, std::string("'") + k + "' is for a file source",
                     connector == "file" ? "a sink appends to its file" : "");
    if (const Property* path = get("path"); path && connector == "file" && cfg->is_source &&
                                            path->value.find_first_of("*?[") != std::string::npos) {
      for (const char* k : {"follow", "wait.timeout"})
        if (const Property* f = get(k))
          diags->Error(f->loc, std::string("'") + k + "' is for a 'path' that names one file",
                       "a glob 'path' reads the files it matches when the app starts, in the "
                       "order of their names");
    }
    for (const char* k : {"rolling.size", "rolling.interval"}) {
      const Property* f = get(k);
      if (!f) continue;
      if (connector != "file" || cfg->is_source)
        diags->Error(f->loc, std::string("'") + k + "' is for a file sink",
                     "a file sink rolls its file to a numbered one when it is full or old");
      int64_t v = 0;
      bool size = std::string(k) == "rolling.size";
      if (size ? !ParseByteSize(f->value, &v) || v <= 0
               : !ParseDurationText(f->value, &v) || v <= 0)
        diags->Error(f->value_loc, std::string("'") + k + "' needs " +
                                       (size ? "a size such as '64MB' or '512KB'"
                                             : "a duration such as '1h' or '10 min'") +
                                       ", got '" + f->value + "'");
    }
    if (const Property* f = get("follow")) {
      bool b;
      if (!ParseBool(f->value, &b))
        diags->Error(f->value_loc, "'follow' must be 'true' or 'false', got '" + f->value + "'");
    }
    if (const Property* f = get("wait.timeout")) {
      int64_t ms;
      if (!ParseDurationText(f->value, &ms))
        diags->Error(f->value_loc,
                     "'wait.timeout' needs a duration such as '30s', got '" + f->value + "'");
    }
    if (connector == "file" && !get("path"))
      diags->Error(get("connector")->loc, "connector 'file' needs a 'path' property");
    if (const Property* f = get("format")) {
      cfg->format = Lower(f->value);
      if (cfg->format != "json" && cfg->format != "csv")
        diags->Error(f->value_loc, "'format' must be 'json' or 'csv', got '" + f->value + "'",
                     sql::DidYouMean(f->value, {"json", "csv"}));
    }
    for (const Property& p : properties) cfg->properties[p.key] = p.value;
    if (connector == "redis" && !cfg->is_source) CheckRedisSink(get, *def, diags);
    if (connector == "http" && !cfg->is_source) CheckHttpSink(get, *cfg, diags);
    if (connector == "http" && cfg->is_source) CheckHttpSource(get, diags);
    if (connector == "postgres" && !cfg->is_source) CheckPostgresSink(get, *def, diags);
    if (connector == "postgres" && cfg->is_source) CheckPostgresSource(get, diags);
    // A table loaded from a source (runtime/table_loader.h) takes each row read as the row of
    // its key. Writing a table's changes to a sink goes through a stream that reads them.
    bool type_ok = !type || Lower(type->value) == "source" || Lower(type->value) == "sink";
    if (def->is_table && !cfg->is_source && !cfg->backs_table && type_ok)
      diags->Error(get("connector")->loc,
                   "not supported yet: a table written to connector '" + connector + "'",
                   connector == "redis" || connector == "postgres"
                       ? "drop 'type': a table on '" + connector +
                             "' without it lives in the store (looked up, cached and written "
                             "there)"
                       : "insert the rows into a stream that has the connector as well",
                   static_cast<int>(get("connector")->key.size()) + 2);
    if (cfg->backs_table) CheckBackedTable(get, *def, cfg.get(), diags);
    for (const std::string& k : kCacheKeys)
      if (const Property* f = get(k); f && !cfg->backs_table)
        diags->Error(f->loc, "'" + k + "' is for a table that lives in Redis or PostgreSQL",
                     "it bounds the rows of the store that the app keeps at hand");
    if (def->is_table && cfg->is_source && def->primary_key.empty())
      diags->Error(get("connector")->loc,
                   "a table loaded from connector '" + connector + "' needs a PRIMARY KEY",
                   "each row read replaces the row with its key: declare it, e.g. " +
                       (def->schema.size() > 0 ? def->schema.field(0).name : std::string("id")) +
                       " STRING PRIMARY KEY",
                   static_cast<int>(get("connector")->key.size()) + 2);
    if (def->is_table && cfg->is_source && connector == "generator" && !get("count"))
      diags->Warning(get("connector")->value_loc,
                     "a generator without 'count' never ends: table '" + def->name +
                         "' is never loaded, and the streams wait its 'table.load.timeout'",
                     "add 'count' = the rows it loads");
    if (def->is_table && cfg->is_source && connector == "http")
      diags->Error(get("connector")->value_loc,
                   "a table is loaded from 'file', 'kafka', 'postgres', 'stdin' or 'generator', "
                   "not 'http'",
                   "post the rows to a stream and UPDATE OR INSERT INTO " + def->name + " from it");
    def->connector = std::move(cfg);
  } else if (type && !connector_given) {
    diags->Error(type->loc, "'type' is set but no 'connector' says what to attach",
                 "add 'connector' = 'file' (or stdin, stdout, generator, kafka)");
  }

  if (const Property* f = get("table.load.timeout")) {
    if (!def->is_table || !def->connector || !def->connector->is_source)
      diags->Error(f->loc, "'table.load.timeout' is for a table loaded from a source",
                   "it says how long the streams that join the table wait for its load");
    else if (!ParseDurationText(f->value, &def->load_timeout_ms))
      diags->Error(f->value_loc,
                   "'table.load.timeout' needs a duration such as '60s' ('0': do "
                   "not wait), got '" +
                       f->value + "'");
  }
  if (const Property* f = get("event.time.field")) {
    def->event_time.field = def->schema.IndexOf(f->value);
    if (def->event_time.field < 0) {
      std::vector<std::string> names;
      for (const auto& fl : def->schema.fields()) names.push_back(fl.name);
      diags->Error(f->value_loc,
                   "event.time.field '" + f->value + "' is not an attribute of '" + def->name + "'",
                   sql::DidYouMean(f->value, names));
    }
  }
  if (const Property* f = get("event.time.source")) {
    std::string v = Lower(f->value);
    bool kafka_source =
        def->connector && def->connector->connector == "kafka" && def->connector->is_source;
    if (v != "kafka")
      diags->Error(
          f->value_loc,
          "'event.time.source' can be 'kafka' (the record's timestamp), got '" + f->value + "'",
          "for an attribute's time, use 'event.time.field'");
    else if (!kafka_source)
      diags->Error(f->loc, "'event.time.source'='kafka' is for a Kafka source",
                   "use 'event.time.field' to take the time from an attribute");
    else if (get("event.time.field"))
      diags->Error(f->loc,
                   "an event's time comes from 'event.time.source' or 'event.time.field', "
                   "not both");
    else
      def->event_time.from_record = true;
  }
  if (const Property* f = get("event.time.format")) {
    std::string v = Lower(f->value);
    if (v == "epoch_millis" || v == "epoch_ms") {
      def->event_time.format = TimeFormat::kEpochMillis;
    } else if (v == "epoch_seconds" || v == "epoch") {
      def->event_time.format = TimeFormat::kEpochSeconds;
    } else if (v == "iso8601") {
      def->event_time.format = TimeFormat::kIso8601;
    } else if (f->value.find('%') != std::string::npos) {
      def->event_time.format = TimeFormat::kPattern;
      def->event_time.pattern = f->value;
    } else {
      diags->Error(f->value_loc,
                   "event.time.format must be 'epoch_millis', 'epoch_seconds', 'iso8601' or a "
                   "strftime pattern such as '%Y-%m-%d %H:%M:%S', got '" +
                       f->value + "'",
                   sql::DidYouMean(f->value, {"epoch_millis", "epoch_seconds", "iso8601"}));
    }
    if (!get("event.time.field"))
      diags->Error(f->loc, "event.time.format is set but event.time.field is not");
  }
  if (const Property* f = get("event.time.allowed.lateness")) {
    int64_t ms;
    if (!ParseDurationText(f->value, &ms))
      diags->Error(f->value_loc,
                   "event.time.allowed.lateness needs a duration such as '5s' or "
                   "'500' (ms), got '" +
                       f->value + "'");
    else
      def->event_time.allowed_lateness_ms = ms;
  }
  if (const Property* f = get("late.data")) {
    std::string v = Lower(f->value);
    if (v == "drop") {
      def->event_time.late_data = LateData::kDrop;
    } else if (v == "fault") {
      def->event_time.late_data = LateData::kFault;
    } else if (v == "update") {
      def->event_time.late_data = LateData::kUpdate;
    } else {
      diags->Error(f->value_loc,
                   "late.data must be 'drop', 'fault' or 'update', got '" + f->value + "'",
                   sql::DidYouMean(f->value, {"drop", "fault", "update"}));
    }
  }
  if (const Property* f = get("partition.key")) {
    def->partition_key = def->schema.IndexOf(f->value);
    if (def->schema.IndexOf(f->value) < 0)
      diags->Error(f->value_loc,
                   "partition.key '" + f->value + "' is not an attribute of '" + def->name + "'");
  }
  for (const char* k : {"rate", "count", "seed"}) {
    if (const Property* f = get(k)) {
      if (connector == "generator")
        ParsePositive(f->value, f->value_loc, std::string("'") + k + "'", diags, 0);
    }
  }
  for (const char* k : {"topic.wait.timeout", "topic.retry.interval"}) {
    if (const Property* f = get(k)) {
      int64_t ms;
      if (!ParseDurationText(f->value, &ms))
        diags->Error(f->value_loc, std::string("'") + k +
                                       "' needs a duration such as '60s', got '" + f->value + "'");
    }
  }
  if (connector == "kafka") CheckKafkaFields(get, *def, diags);
  if (const Property* f = get("auto.offset.reset")) {
    std::string v = Lower(f->value);
    if (v != "earliest" && v != "latest")
      diags->Error(f->value_loc,
                   "auto.offset.reset must be 'earliest' or 'latest', got '" + f->value + "'",
                   sql::DidYouMean(f->value, {"earliest", "latest"}));
  }
  if (const Property* f = get("header")) {
    bool b;
    if (!ParseBool(f->value, &b))
      diags->Error(f->value_loc, "'header' expects 'true' or 'false', got '" + f->value + "'");
  }
  if (const Property* f = get("delimiter")) {
    if (f->value.size() != 1)
      diags->Error(f->value_loc, "'delimiter' must be one character, got '" + f->value + "'");
  }
}

bool IsAnnotation(const Annotation& a, const std::string& name) {
  return Lower(a.name) == Lower(name);
}

void ApplyJoinAnnotation(const Annotation& a, const StreamDef& table, Diagnostics* diags,
                         MissingRowPlan* out) {
  const std::vector<std::pair<std::vector<std::string>, MissingRow>> kinds = {
      {{"skip", "skiprecord"}, MissingRow::kSkip},
      {{"nulls", "emitwithnulls"}, MissingRow::kNulls},
      {{"defaults", "usedefaults"}, MissingRow::kDefaults},
      {{"retry", "waitandretry"}, MissingRow::kRetry},
      {{"fail", "failfast"}, MissingRow::kFail}};
  const AnnotationOption* missing = nullptr;
  const AnnotationOption* retry_option = nullptr;
  std::vector<std::string> seen;
  for (const AnnotationOption& o : a.options) {
    if (o.key.empty()) {
      diags->Error(o.loc, "@join takes named options, e.g. @join(missing='" + o.value + "')");
      continue;
    }
    if (std::find(seen.begin(), seen.end(), o.key) != seen.end()) {
      diags->Error(o.loc, "option '" + o.key + "' is given twice in @join", "",
                   static_cast<int>(o.key.size()));
      continue;
    }
    seen.push_back(o.key);
    if (o.key == "missing") {
      missing = &o;
      std::string v = Lower(o.value);
      bool known = false;
      for (const auto& [names, kind] : kinds)
        if (std::find(names.begin(), names.end(), v) != names.end()) {
          out->action = kind;
          known = true;
        }
      if (!known)
        diags->Error(
            o.loc,
            "@join(missing) must be 'skip', 'nulls', 'defaults', 'retry' or 'fail', got '" +
                o.value + "'",
            sql::DidYouMean(o.value, {"skip", "nulls", "defaults", "retry", "fail", "SkipRecord",
                                      "EmitWithNulls", "UseDefaults", "WaitAndRetry", "FailFast"}));
    } else if (o.key == "retries") {
      retry_option = &o;
      out->retries = ParsePositive(o.value, o.loc, "@join(retries)", diags);
    } else if (o.key == "delay") {
      retry_option = &o;
      if (!ParseDurationText(o.value, &out->delay_ms) || out->delay_ms <= 0)
        diags->Error(o.loc, "@join(delay) needs a positive duration such as '100 ms', got '" +
                                o.value + "'");
    } else if (o.key.rfind("default_", 0) == 0 && o.key.size() > 8) {
      std::string attr = o.key.substr(8);
      int c = table.schema.IndexOf(attr);
      if (c < 0) {
        std::vector<std::string> names;
        for (const auto& f : table.schema.fields()) names.push_back("default_" + f.name);
        diags->Error(
            o.loc,
            "'" + o.key + "': '" + attr + "' is not an attribute of table '" + table.name + "'",
            sql::DidYouMean(o.key, names), static_cast<int>(o.key.size()));
        continue;
      }
      Batch one(table.schema);
      one.AddRow(0);
      if (!one.SetValue(0, static_cast<size_t>(c), Value(o.value)))
        diags->Error(o.loc, "'" + o.key + "': '" + o.value + "' is not a value of " +
                                table.schema.field(c).type.ToString() + ": " +
                                ConversionProblem(Value(o.value), table.schema.field(c).type));
      out->defaults.emplace_back(c, o.value);
    } else {
      UnknownOption(o, "join", {"missing", "retries", "delay", "default_<attribute>"}, diags);
    }
  }
  if (!missing) {
    diags->Error(a.loc, "@join needs 'missing': what a lookup that finds no row does",
                 "e.g. @join(missing='nulls'); or 'skip', 'defaults', 'retry', 'fail'");
    return;
  }
  if (out->action != MissingRow::kDefaults && !out->defaults.empty())
    diags->Error(missing->loc, "default_<attribute> values are for @join(missing='defaults')");
  if (out->action != MissingRow::kRetry && retry_option)
    diags->Error(retry_option->loc, "'" + retry_option->key + "' is for @join(missing='retry')");
}

std::string ApplyQueryAnnotations(const std::vector<Annotation>& annotations,
                                  const std::string& fallback, Diagnostics* diags,
                                  ErrorAction* on_error, StateLimits* state) {
  std::string name = fallback;
  for (const Annotation& a : annotations) {
    std::string lname = Lower(a.name);
    if (lname == "name") {
      if (a.options.size() != 1)
        diags->Error(a.loc, "@name takes one value: @name('query_name')");
      else
        name = a.options[0].value;
    } else if (lname == "info") {
      for (const AnnotationOption& o : a.options) {
        if (o.key == "name") {
          name = o.value;
        } else if (o.key != "description") {
          UnknownOption(o, "info", {"name", "description"}, diags);
        }
      }
    } else if (lname == "onerror") {
      StreamDef scratch;
      ApplyStreamAnnotations({a}, AppSettings{}, &scratch, diags);
      *on_error = scratch.on_error;
    } else if (lname == "state") {
      for (const AnnotationOption& o : a.options) {
        if (o.key == "ttl") {
          ParseTtl(o.value, o.loc, "@state(ttl)", diags, &state->ttl_ms);
        } else if (o.key == "max_keys") {
          state->max_keys = ParsePositive(o.value, o.loc, "@state(max_keys)", diags);
        } else {
          UnknownOption(o, "state", {"ttl", "max_keys"}, diags);
        }
      }
    } else if (lname == "join") {
      // The join's binding reads it (ApplyJoinAnnotation): it needs the table.
    } else if (lname == "async" || lname == "config") {
      diags->Error(a.loc, "@" + a.name + " belongs on a CREATE STREAM, not on a query", "",
                   static_cast<int>(a.name.size()) + 1);
    } else {
      diags->Error(a.loc, "unknown annotation @" + a.name + " on a query",
                   sql::DidYouMean(a.name, {"name", "info", "state", "onError", "join"}),
                   static_cast<int>(a.name.size()) + 1);
    }
  }
  return name;
}

}  // namespace sluice::plan
