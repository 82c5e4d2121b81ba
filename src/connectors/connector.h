// Sources and sinks attached to streams by WITH ('type'='source'|'sink', 'connector'=...).
// A source runs on its own thread and hands batches to the engine through SourceContext::emit;
// a sink is a consumer of its stream's junction. Bad input lines never stop a source: each is
// counted and reported with its line number.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "exec/operator.h"
#include "plan/catalog.h"
#include "sluice/batch.h"
#include "sluice/clock.h"
#include "sluice/status.h"

namespace sluice::connectors {

struct SourceContext {
  // Sends a batch of the stream's schema into the engine; an error stops the source. Each row's
  // time is set: from the event-time attribute (exec::StampEventTime, rows without one reported
  // as malformed by the source), else the arrival time from `clock`.
  std::function<Status(const Batch&)> emit;
  // True once the app is shutting down; sources return promptly.
  std::function<bool()> stopping;
  // Counts and reports one malformed input record.
  std::function<void(const std::string& where, const std::string& problem)> malformed;
  const Clock* clock = nullptr;
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads until the input ends (files, generators with a count) or stopping() turns true.
  virtual Status Run(SourceContext& ctx) = 0;
};

class Sink : public exec::BatchConsumer {
 public:
  // Called once, with the error, when a write fails: the events of that batch and after are
  // lost, so the app stops (fail fast) rather than lose them silently.
  void SetFailureHandler(std::function<void(const Status&)> handler) {
    on_failure_ = std::move(handler);
  }
  // Writes what is buffered; called at shutdown.
  virtual Status Close() = 0;
  // The first write error, if any.
  virtual Status status() const = 0;

 protected:
  std::function<void(const Status&)> on_failure_;
};

Result<std::unique_ptr<Source>> MakeSource(const plan::StreamDef& def);
Result<std::unique_ptr<Sink>> MakeSink(const plan::StreamDef& def);

}  // namespace sluice::connectors
