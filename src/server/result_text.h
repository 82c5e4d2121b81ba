// A statement's result (AppRuntime::Execute) as the server's JSON and as the table the shell and
// `sluice query` print.
#pragma once

#include <string>

#include "sluice/engine.h"

namespace sluice::server {

// {"columns":[{"name":..,"type":..}],"rows":[{...}],"text":"..."}.
std::string ResultJson(const StatementResult& result);
// The rows as an aligned table with a header and a count ("2 rows"), then the text.
std::string ResultTable(const StatementResult& result);

}  // namespace sluice::server
