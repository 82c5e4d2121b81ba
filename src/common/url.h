// Connection URLs as users write them for their other tools: scheme://[user[:password]@]host
// [:port][/path], with [v6] hosts; one parser for every connector that takes a 'url'.
#pragma once

#include <string>
#include <string_view>

#include "sluice/status.h"

namespace sluice {

struct Url {
  std::string scheme;  // lower case: "redis", "http"
  std::string user;
  std::string password;
  std::string host;
  int port = 0;      // 0: not given
  std::string path;  // from the '/' after the authority on, query included; may be empty
};

// An error names what is wrong: "expected scheme://host[:port]", "port '99999' is out of range".
Result<Url> ParseUrl(std::string_view text);

// The URL without its password, for messages and metrics.
std::string RedactedUrl(const Url& url);

}  // namespace sluice
