#include "common/url.h"

#include <cctype>

namespace sluice {

namespace {

// `text` for a message, its password (if any) replaced by ***.
std::string Shown(std::string_view text) {
  std::string s(text);
  size_t scheme = s.find("://");
  size_t begin = scheme == std::string::npos ? 0 : scheme + 3;
  size_t at = s.find('@', begin);
  size_t end = s.find_first_of("/?", begin);
  if (at == std::string::npos || (end != std::string::npos && at > end)) return s;
  size_t colon = s.find(':', begin);
  if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
  return s;
}

}  // namespace

Result<Url> ParseUrl(std::string_view raw) {
  const std::string text = Shown(raw);  // what messages show of it
  std::string_view in = raw;
  Url url;
  size_t colon = in.find("://");
  if (colon == std::string_view::npos || colon == 0)
    return Status::InvalidArgument("'" + text +
                                   "' is not a URL: expected scheme://host[:port][/path]");
  for (char c : in.substr(0, colon))
    url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view rest = in.substr(colon + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) url.path = std::string(rest.substr(slash));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    size_t c = info.find(':');
    url.user = std::string(info.substr(0, c));
    if (c != std::string_view::npos) url.password = std::string(info.substr(c + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidArgument("'" + text + "': an unclosed '[' in the host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return Status::InvalidArgument("'" + text + "': text after the host");
      port = after.substr(1);
    }
  } else {
    size_t c = authority.rfind(':');
    url.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) port = authority.substr(c + 1);
  }
  if (url.host.empty()) return Status::InvalidArgument("'" + text + "' names no host");
  if (!port.empty()) {
    int v = 0;
    for (char ch : port) {
      if (!std::isdigit(static_cast<unsigned char>(ch)) || v > 65535)
        return Status::InvalidArgument("'" + text + "': port '" + std::string(port) +
                                       "' is not a number from 1 to 65535");
      v = v * 10 + (ch - '0');
    }
    if (v < 1 || v > 65535)
      return Status::InvalidArgument("'" + text + "': port '" + std::string(port) +
                                     "' is not a number from 1 to 65535");
    url.port = v;
  }
  return url;
}

std::string RedactedUrl(const Url& url) {
  std::string s = url.scheme + "://";
  if (!url.user.empty() || !url.password.empty())
    s += url.user + (url.password.empty() ? "" : ":***") + "@";
  s += url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port) s += ":" + std::to_string(url.port);
  return s + url.path;
}

}  // namespace sluice
