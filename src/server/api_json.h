// The JSON bodies of the server's /api endpoints, made from what the app says of itself
// (AppRuntime::Describe), its counters (AppRuntime::Stats) and the rates the server measures
// between two snapshots of them.
#pragma once

#include <map>
#include <string>

#include "sluice/app_info.h"
#include "sluice/batch.h"
#include "sluice/metrics.h"

namespace sluice::server {

// Events per second, by "stream:<name>", "query:<id>" (events in), "query-out:<id>" (rows out)
// and "sink:<stream>" (rows written), over the server's last measuring period.
using Rates = std::map<std::string, double>;

// {"error": message}.
std::string ErrorJson(const std::string& message);
// GET /api/app: streams, tables, queries, sources and sinks with schemas, options and states.
std::string AppJson(const AppInfo& info, const AppStats& stats, const Rates& rates,
                    const std::string& status);
// GET /api/queries/{id}: the query's pipeline, counters, rates, latency and state.
std::string QueryJson(const QueryInfo& query, const QueryStats* stats, const Rates& rates);
// Appends {"ts":..,"op":"+I","data":{...}} for row `row` of `batch` (of `schema`).
void AppendRowJson(std::string* out, const Schema& schema, const Batch& batch, size_t row);
// GET /api/tables/{name}: {"table":..., "rows":[{...}], "truncated": bool}.
std::string TableRowsJson(const std::string& table, const Schema& schema, const Batch& rows,
                          bool truncated);

}  // namespace sluice::server
