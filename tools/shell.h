// `sluice query` and `sluice shell`: statements (SHOW, DESCRIBE, EXPLAIN, pull queries; see
// AppRuntime::Execute) sent to a running app's server, or run against an app the shell runs.
#pragma once

#include <string>

namespace sluice::tools {

// Sends `statement` to the server at `url` ("http://host:port" or "host:port") and prints the
// result as a table (the server's JSON with `json`). 0; 1 when the statement failed; 2 when no
// server answers there.
int QueryServer(const std::string& url, const std::string& token, const std::string& statement,
                bool json);

// The prompt: statements end with ';', `help` and `quit` need none. `target` is a server's URL,
// or an app file that the shell runs (its sources and sinks started) while the prompt lasts.
int Shell(const std::string& target, const std::string& token);

}  // namespace sluice::tools
