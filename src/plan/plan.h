// The plan of an app: its catalog and, per query, what the executor runs. Built by BindApp from the
// syntax tree; immutable afterwards. Explain() renders it for `sluice explain`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plan/bound_expr.h"
#include "plan/catalog.h"
#include "plan/options.h"
#include "sql/ast.h"
#include "sql/diagnostics.h"

namespace sluice::plan {

struct OutputColumn {
  std::string name;   // the target attribute
  BoundExprPtr expr;  // already converted to the target attribute's type
};

// A continuous query over one stream: filter, then projection into a target stream.
struct QueryPlan {
  std::string name;
  sql::Loc loc;
  std::string sql;  // the statement's source text
  const StreamDef* input = nullptr;
  BoundExprPtr filter;  // the stream filter S[...] AND WHERE; null when there is none
  std::vector<OutputColumn> outputs;
  const StreamDef* target = nullptr;
  bool by_name = false;  // select names matched the target's attribute names
};

struct AppPlan {
  AppSettings settings;
  Catalog catalog;
  std::vector<QueryPlan> queries;

  std::string Explain() const;
};

// Resolves names and types, validates options and plans every query of `ast`. Every problem goes
// to `diags`; the plan is usable only when diags has no errors. `source` is the app's text.
std::unique_ptr<AppPlan> BindApp(const sql::AppAst& ast, std::string_view source,
                                 sql::Diagnostics* diags);

}  // namespace sluice::plan
