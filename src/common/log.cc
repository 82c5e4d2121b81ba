#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include "common/format.h"

namespace sluice {

namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{false};
std::atomic<uint64_t> g_batches{0};
std::mutex g_app_mu;
std::string g_app;

struct BatchContext {
  bool active = false;
  uint64_t id = 0;  // given when the batch's first line is logged: no shared counter per batch
  std::string_view stream;
  std::string_view input;
  std::string_view position;
};
thread_local BatchContext t_batch;

// The one logger: stderr, unbuffered, one whole line per call.
spdlog::logger& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("sluice",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_level(spdlog::level::trace);
    l->set_pattern("%v");
    return l;
  }();
  return *logger;
}

spdlog::level::level_enum SpdLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* Name(LogLevel level) {
  return level == LogLevel::kDebug  ? "debug"
         : level == LogLevel::kInfo ? "info"
         : level == LogLevel::kWarn ? "warning"
                                    : "error";
}

void AppendField(std::string* out, std::string_view key, std::string_view value) {
  out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
  AppendJsonString(out, value);
}

std::string Now() {
  auto now = std::chrono::system_clock::now();
  int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
void SetLogFormat(LogFormat format) { g_json.store(format == LogFormat::kJson); }
void SetLogApp(std::string_view app) {
  std::lock_guard<std::mutex> lock(g_app_mu);
  g_app = std::string(app);
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  std::string line;
  if (!g_json.load(std::memory_order_relaxed)) {
    line = std::string("sluice: ") + Name(level) + ": " + std::string(message);
  } else {
    line = "{\"time\":\"" + Now() + "\",\"level\":\"" + Name(level) + "\"";
    {
      std::lock_guard<std::mutex> lock(g_app_mu);
      if (!g_app.empty()) AppendField(&line, "app", g_app);
    }
    AppendField(&line, "message", message);
    for (const LogField& f : fields) AppendField(&line, f.key, f.value);
    if (t_batch.active) {
      if (t_batch.id == 0) t_batch.id = g_batches.fetch_add(1, std::memory_order_relaxed) + 1;
      line += ",\"batch\":" + std::to_string(t_batch.id);
      if (!t_batch.stream.empty()) AppendField(&line, "batch_stream", t_batch.stream);
      if (!t_batch.input.empty()) AppendField(&line, "input", t_batch.input);
      if (!t_batch.position.empty()) AppendField(&line, "position", t_batch.position);
    }
    line.push_back('}');
  }
  Logger().log(SpdLevel(level), "{}", line);
}

LogBatch::LogBatch(std::string_view stream, std::string_view input, std::string_view position)
    : outer_(!t_batch.active) {
  if (!outer_) return;
  t_batch.active = true;
  t_batch.id = 0;
  t_batch.stream = stream;
  t_batch.input = input;
  t_batch.position = position;
}

LogBatch::~LogBatch() {
  if (outer_) t_batch = BatchContext{};
}

}  // namespace sluice
