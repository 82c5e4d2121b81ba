// What an app is made of, for tools that show it (AppRuntime::Describe, the HTTP server's
// /api/app): its streams and tables with their schemas and connectors, and its queries with
// their SQL text and operators. A description, fixed once the app is loaded; the live numbers
// are in AppRuntime::Stats().
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sluice/types.h"

namespace sluice {

// A source, sink or store attached by WITH (...).
struct ConnectorInfo {
  std::string connector;  // file, kafka, redis, ...; empty: none
  std::string role;       // "source", "sink", or "store" (a table that lives in a store)
  std::string format;     // json, csv
  // Every WITH entry as written, secrets ('password', a URL's password) replaced by "***".
  std::vector<std::pair<std::string, std::string>> properties;
};

struct StreamInfo {
  std::string name;
  std::string kind;  // "stream", "table", or "fault" (the fault stream !S of a stream S)
  Schema schema;
  std::vector<std::string> primary_key;  // a table's
  std::string defined_at;                // "app.sql:3:1"; empty for what the engine defines
  bool async = false;                    // @Async: queued, with workers
  int workers = 0;                       // @Async only
  int buffer_size = 0;                   // @Async only
  std::string event_time_field;          // empty: events take the time they are sent with
  std::string fault_stream;              // where its failed events go (@onError), or empty
  ConnectorInfo connector;
};

// One operator of a query's pipeline (Core 2): ids are the ones its saved state is kept under.
struct OperatorInfo {
  std::string id;        // "<query id>/<place>:<kind>"
  std::string kind;      // join, pattern, window, aggregate, select, distinct, table-write, ...
  std::string physical;  // the physical choice made for it ("" if none)
  bool stateful = false;
};

struct QueryInfo {
  std::string id;    // stable: @info(name=...), the CSAS/CTAS target, or a fingerprint
  std::string name;  // for people: @info(name=...), else "query<N>"
  std::string sql;   // the statement's text
  std::string defined_at;
  std::vector<std::string> inputs;  // the streams and tables it reads
  std::string target;               // the stream or table it inserts into
  std::vector<OperatorInfo> operators;
  int instances = 1;  // one per worker of its @Async input when it is partitioned there
};

struct AppInfo {
  std::vector<StreamInfo> streams;  // in definition order, fault streams included
  std::vector<QueryInfo> queries;   // in the app's order
};

}  // namespace sluice
