// Leveled logging to stderr, one line per call, safe from any thread (spdlog underneath): the
// human form "sluice: warning: ..." by default, or one JSON object per line (`--log-format json`)
// with the time, level, app, message, the fields given, and the batch the thread is processing
// (a correlation id, its stream and where it came from), for the log collectors users run.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sluice {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// A field of a log line: a key of its JSON object (the text form leaves it to the message).
struct LogField {
  const char* key;
  std::string value;
};

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
// The app's name in JSON lines ("app": ...).
void SetLogApp(std::string_view app);

// While it lives, this thread's log lines carry the batch it processes: a correlation id (a new
// one per batch that enters the app and logs something), its stream, and the input it came from (a
// source's file or topic and its position after the batch). Nested scopes (a batch a query derives)
// keep the outer batch's. The views must outlive the scope; nothing is copied unless a line is
// logged.
class LogBatch {
 public:
  LogBatch(std::string_view stream, std::string_view input, std::string_view position = {});
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;

 private:
  bool outer_;
};

}  // namespace sluice
