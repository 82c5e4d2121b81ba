#include "runtime/app_info.h"

#include <algorithm>

#include "common/url.h"

namespace sluice::runtime {

namespace {

std::string At(const std::string& file, const sql::Loc& loc) {
  if (loc.line == 0) return "";
  return file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

bool IsSecret(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto has = [&](const char* part) { return key.find(part) != std::string::npos; };
  // An HTTP header may carry credentials under many names (Authorization, Cookie, X-Api-Key).
  if (key.rfind("header.", 0) == 0)
    return has("auth") || has("cookie") || has("key") || has("token") || has("secret");
  return has("password") || has("secret") || has("token") || has("sasl") || has("credential") ||
         has("auth") || has("apikey") || has("api.key") || has("private");
}

// A WITH value as tools may show it: secrets hidden, and a URL without its password.
std::string Shown(const std::string& key, const std::string& value) {
  if (IsSecret(key)) return "***";
  if (value.find("://") == std::string::npos) return value;
  Result<Url> url = ParseUrl(value);
  if (!url.ok() || url->password.empty()) return value;
  return RedactedUrl(*url);
}

ConnectorInfo ConnectorOf(const plan::StreamDef& def) {
  ConnectorInfo c;
  if (!def.connector) return c;
  const plan::ConnectorConfig& cfg = *def.connector;
  c.connector = cfg.connector;
  c.role = cfg.backs_table ? "store" : cfg.is_source ? "source" : "sink";
  c.format = cfg.format;
  for (const auto& [key, value] : cfg.properties) c.properties.emplace_back(key, Shown(key, value));
  return c;
}

}  // namespace

AppInfo DescribeApp(const plan::AppPlan& plan, const std::string& file,
                    const std::vector<std::unique_ptr<exec::Pipeline>>& pipelines) {
  AppInfo info;
  for (const auto& def : plan.catalog.all()) {
    StreamInfo s;
    s.name = def->name;
    s.kind = def->is_table ? "table" : def->is_fault_stream ? "fault" : "stream";
    s.schema = def->schema;
    for (int k : def->primary_key) s.primary_key.push_back(def->schema.field(k).name);
    if (!def->auto_defined && !def->is_fault_stream) s.defined_at = At(file, def->loc);
    if (def->async.enabled) {
      s.async = true;
      s.workers = def->async.workers;
      s.buffer_size = def->async.buffer_size;
    }
    if (def->event_time.field >= 0)
      s.event_time_field = def->schema.field(def->event_time.field).name;
    s.fault_stream = def->fault_stream;
    s.connector = ConnectorOf(*def);
    info.streams.push_back(std::move(s));
  }
  for (const auto& p : pipelines) {
    if (p->instance() > 0) {
      ++info.queries.back().instances;
      continue;
    }
    const plan::QueryPlan& q = p->plan();
    QueryInfo qi;
    qi.id = q.id;
    qi.name = q.name;
    qi.sql = q.sql;
    qi.defined_at = At(file, q.loc);
    for (const plan::StreamDef* in : q.Sources()) qi.inputs.push_back(in->name);
    if (q.table_write)
      qi.target = q.table_write->table->name;
    else if (q.target)
      qi.target = q.target->name;
    for (const exec::Pipeline::Operator& op : p->operators())
      qi.operators.push_back({op.id, op.kind, op.physical, op.state != nullptr});
    info.queries.push_back(std::move(qi));
  }
  return info;
}

}  // namespace sluice::runtime
