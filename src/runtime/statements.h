// AppRuntime::Execute: the statements users type against a running app (SHOW, DESCRIBE, EXPLAIN
// [ANALYZE], and pull queries on tables), for the server's POST /api/query, `sluice query` and
// `sluice shell`. A pull query runs the app's own parser, binder and compiled expressions over a
// copy of the table's rows (its one row, when WHERE gives the whole key), never under a lock
// that events wait on for longer than the copy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "plan/plan.h"
#include "sluice/engine.h"

namespace sluice::runtime {

struct StatementContext {
  AppRuntime* app = nullptr;  // Describe, Stats, ReadTable
  const plan::AppPlan* plan = nullptr;
  std::function<uint64_t(const std::string& table)> table_rows;  // rows a table holds now
};

Result<StatementResult> ExecuteStatement(const StatementContext& ctx, std::string_view text);

}  // namespace sluice::runtime
