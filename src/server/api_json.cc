#include "server/api_json.h"

#include "common/format.h"
#include "connectors/json_codec.h"

namespace sluice::server {

namespace {

void Key(std::string* out, const char* key) {
  if (!out->empty() && out->back() != '{' && out->back() != '[') out->push_back(',');
  out->push_back('"');
  *out += key;
  *out += "\":";
}

void Str(std::string* out, const char* key, const std::string& value) {
  Key(out, key);
  AppendJsonString(out, value);
}

void Num(std::string* out, const char* key, double value) {
  Key(out, key);
  AppendDouble(out, value, false);
}

void Int(std::string* out, const char* key, int64_t value) {
  Key(out, key);
  AppendInt(out, value);
}

void Bool(std::string* out, const char* key, bool value) {
  Key(out, key);
  *out += value ? "true" : "false";
}

// Starts an element of an array: a comma after the one before.
void Element(std::string* out) {
  if (out->back() != '[') out->push_back(',');
}

void StringArray(std::string* out, const char* key, const std::vector<std::string>& items) {
  Key(out, key);
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(out, items[i]);
  }
  out->push_back(']');
}

void SchemaJson(std::string* out, const Schema& schema) {
  Key(out, "schema");
  out->push_back('[');
  for (size_t i = 0; i < schema.size(); ++i) {
    Element(out);
    out->push_back('{');
    Str(out, "name", schema.field(i).name);
    Str(out, "type", schema.field(i).type.ToString());
    out->push_back('}');
  }
  out->push_back(']');
}

void ConnectorJson(std::string* out, const ConnectorInfo& c) {
  Key(out, "connector");
  if (c.connector.empty()) {
    *out += "null";
    return;
  }
  out->push_back('{');
  Str(out, "name", c.connector);
  Str(out, "role", c.role);
  Str(out, "format", c.format);
  Key(out, "options");
  out->push_back('{');
  for (const auto& [key, value] : c.properties) {
    if (out->back() != '{') out->push_back(',');
    AppendJsonString(out, key);  // as written: it may hold any character
    out->push_back(':');
    AppendJsonString(out, value);
  }
  out->push_back('}');
  out->push_back('}');
}

double RateOf(const Rates& rates, const std::string& key) {
  auto it = rates.find(key);
  return it == rates.end() ? 0 : it->second;
}

void StreamJson(std::string* out, const StreamInfo& s, const StreamStats* st, const Rates& rates) {
  out->push_back('{');
  Str(out, "name", s.name);
  Str(out, "kind", s.kind);
  SchemaJson(out, s.schema);
  if (!s.primary_key.empty()) StringArray(out, "primary_key", s.primary_key);
  if (!s.defined_at.empty()) Str(out, "defined_at", s.defined_at);
  if (!s.event_time_field.empty()) Str(out, "event_time_field", s.event_time_field);
  if (!s.fault_stream.empty()) Str(out, "fault_stream", s.fault_stream);
  ConnectorJson(out, s.connector);
  if (st) {
    Int(out, "events", static_cast<int64_t>(st->events));
    Int(out, "malformed", static_cast<int64_t>(st->malformed));
    Num(out, "events_per_s", RateOf(rates, "stream:" + s.name));
  }
  if (s.async) {
    Key(out, "async");
    out->push_back('{');
    Int(out, "workers", s.workers);
    Int(out, "buffer_size", s.buffer_size);
    if (st) {
      Int(out, "queue_depth", static_cast<int64_t>(st->queue_depth));
      Int(out, "queue_capacity", static_cast<int64_t>(st->queue_capacity));
      Num(out, "queue_max_fill", st->queue_max_fill);
      Int(out, "dropped", static_cast<int64_t>(st->dropped));
      Int(out, "backpressure", static_cast<int64_t>(st->backpressure));
      Num(out, "p99_us", st->p99_us);
      Int(out, "health", st->health);
    }
    out->push_back('}');
  }
  out->push_back('}');
}

void CountersJson(std::string* out, const QueryStats& q, const QueryInfo& info,
                  const Rates& rates) {
  Key(out, "counters");
  out->push_back('{');
  Int(out, "events_in", static_cast<int64_t>(q.events_in));
  Int(out, "events_out", static_cast<int64_t>(q.events_out));
  Int(out, "filtered", static_cast<int64_t>(q.filtered));
  Int(out, "faulted", static_cast<int64_t>(q.faulted));
  Int(out, "dropped", static_cast<int64_t>(q.dropped));
  Int(out, "late", static_cast<int64_t>(q.late));
  Int(out, "errors", static_cast<int64_t>(q.errors));
  Int(out, "rows_out", static_cast<int64_t>(q.rows_out));
  out->push_back('}');
  Key(out, "rates");
  out->push_back('{');
  Num(out, "events_in_per_s", RateOf(rates, "query:" + info.id));
  Num(out, "rows_out_per_s", RateOf(rates, "query-out:" + info.id));
  out->push_back('}');
  Key(out, "latency_us");
  out->push_back('{');
  Num(out, "p50", q.p50_us);
  Num(out, "p95", q.p95_us);
  Num(out, "p99", q.p99_us);
  out->push_back('}');
  Key(out, "state");
  out->push_back('{');
  Int(out, "keys", static_cast<int64_t>(q.state_keys));
  Int(out, "bytes", static_cast<int64_t>(q.state_bytes));
  out->push_back('}');
  Int(out, "health", q.health);
}

void QueryFields(std::string* out, const QueryInfo& q, const QueryStats* st, const Rates& rates) {
  Str(out, "id", q.id);
  Str(out, "name", q.name);
  Str(out, "sql", q.sql);
  if (!q.defined_at.empty()) Str(out, "defined_at", q.defined_at);
  StringArray(out, "inputs", q.inputs);
  Str(out, "target", q.target);
  Int(out, "instances", q.instances);
  Key(out, "operators");
  out->push_back('[');
  for (const OperatorInfo& op : q.operators) {
    Element(out);
    out->push_back('{');
    Str(out, "id", op.id);
    Str(out, "kind", op.kind);
    if (!op.physical.empty()) Str(out, "physical", op.physical);
    Bool(out, "stateful", op.stateful);
    out->push_back('}');
  }
  out->push_back(']');
  if (st) CountersJson(out, *st, q, rates);
}

}  // namespace

std::string ErrorJson(const std::string& message) {
  std::string s = "{\"error\":";
  AppendJsonString(&s, message);
  s += "}\n";
  return s;
}

std::string AppJson(const AppInfo& info, const AppStats& stats, const Rates& rates,
                    const std::string& status) {
  auto stream_stats = [&](const std::string& name) -> const StreamStats* {
    for (const StreamStats& s : stats.streams)
      if (s.name == name) return &s;
    return nullptr;
  };
  std::string out = "{";
  Str(&out, "status", status);
  for (const char* kind : {"stream", "table"}) {
    Key(&out, std::string(kind) == "stream" ? "streams" : "tables");
    out.push_back('[');
    for (const StreamInfo& s : info.streams) {
      if ((s.kind == "table") != (std::string(kind) == "table")) continue;
      Element(&out);
      StreamJson(&out, s, stream_stats(s.name), rates);
      if (s.kind != "table") continue;
      out.pop_back();  // the table's load or store, when it has one
      for (const TableLoadStats& t : stats.tables) {
        if (t.table != s.name) continue;
        Key(&out, "load");
        out.push_back('{');
        Str(&out, "state", t.state);
        Int(&out, "rows", static_cast<int64_t>(t.rows));
        Int(&out, "records", static_cast<int64_t>(t.records));
        Int(&out, "rejected", static_cast<int64_t>(t.rejected));
        Int(&out, "eta_ms", t.eta_ms);
        if (!t.error.empty()) Str(&out, "error", t.error);
        out.push_back('}');
      }
      for (const StoreTableStats& t : stats.store_tables) {
        if (t.table != s.name) continue;
        Key(&out, "store");
        out.push_back('{');
        Str(&out, "where", t.where);
        Int(&out, "cached", static_cast<int64_t>(t.cached));
        Int(&out, "hits", static_cast<int64_t>(t.hits));
        Int(&out, "misses", static_cast<int64_t>(t.misses));
        Int(&out, "lookups", static_cast<int64_t>(t.lookups));
        Int(&out, "failed", static_cast<int64_t>(t.failed));
        out.push_back('}');
      }
      out.push_back('}');
    }
    out.push_back(']');
  }
  Key(&out, "queries");
  out.push_back('[');
  for (const QueryInfo& q : info.queries) {
    const QueryStats* st = nullptr;
    for (const QueryStats& s : stats.queries)
      if (s.id == q.id) st = &s;
    Element(&out);
    out.push_back('{');
    QueryFields(&out, q, st, rates);
    out.push_back('}');
  }
  out.push_back(']');
  Key(&out, "sources");
  out.push_back('[');
  for (const SourceStats& s : stats.sources) {
    Element(&out);
    out.push_back('{');
    Str(&out, "stream", s.stream);
    Str(&out, "connector", s.connector);
    Str(&out, "where", s.where);
    Int(&out, "records", static_cast<int64_t>(s.records));
    Int(&out, "bytes", static_cast<int64_t>(s.bytes));
    Bool(&out, "finished", s.finished);
    out.push_back('}');
  }
  out.push_back(']');
  Key(&out, "sinks");
  out.push_back('[');
  for (const SinkStats& s : stats.sinks) {
    Element(&out);
    out.push_back('{');
    Str(&out, "stream", s.stream);
    Str(&out, "connector", s.connector);
    Str(&out, "where", s.where);
    Int(&out, "written", static_cast<int64_t>(s.written));
    Num(&out, "written_per_s", RateOf(rates, "sink:" + s.stream));
    Int(&out, "queued", static_cast<int64_t>(s.queued));
    Int(&out, "failed", static_cast<int64_t>(s.failed));
    Int(&out, "retried", static_cast<int64_t>(s.retried));
    Int(&out, "dropped", static_cast<int64_t>(s.dropped));
    if (!s.breaker.empty()) Str(&out, "breaker", s.breaker);
    if (!s.last_error.empty()) Str(&out, "last_error", s.last_error);
    out.push_back('}');
  }
  out.push_back(']');
  out += "}\n";
  return out;
}

std::string QueryJson(const QueryInfo& query, const QueryStats* stats, const Rates& rates) {
  std::string out = "{";
  QueryFields(&out, query, stats, rates);
  out += "}\n";
  return out;
}

void AppendRowJson(std::string* out, const Schema& schema, const Batch& batch, size_t row) {
  *out += "{\"ts\":";
  AppendInt(out, batch.timestamp(row));
  *out += ",\"op\":\"";
  *out += ChangeKindName(batch.kind(row));
  *out += "\",\"data\":";
  connectors::AppendJsonObject(out, schema, batch, row);
  out->push_back('}');
}

std::string TableRowsJson(const std::string& table, const Schema& schema, const Batch& rows,
                          bool truncated) {
  std::string out = "{";
  Str(&out, "table", table);
  Key(&out, "rows");
  out.push_back('[');
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    if (r) out.push_back(',');
    connectors::AppendJsonObject(&out, schema, rows, r);
  }
  out.push_back(']');
  Bool(&out, "truncated", truncated);
  out += "}\n";
  return out;
}

}  // namespace sluice::server
