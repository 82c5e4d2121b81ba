#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace sluice {

static std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

void Log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  static std::mutex mu;
  const char* tag = level == LogLevel::kDebug  ? "debug"
                    : level == LogLevel::kInfo ? "info"
                    : level == LogLevel::kWarn ? "warning"
                                               : "error";
  std::string line = std::string("sluice: ") + tag + ": " + std::string(message) + "\n";
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace sluice
