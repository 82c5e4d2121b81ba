// Minimal leveled logging to stderr, one line per call, safe from any thread.
#pragma once

#include <string_view>

namespace sluice {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void Log(LogLevel level, std::string_view message);
void SetLogLevel(LogLevel level);

}  // namespace sluice
