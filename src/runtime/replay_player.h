// Plays a replay file into an app, line by line: {"stream":"S","ts":1000,"values":[...]} (or
// "data":{...}) is an event, {"advance_to": ms} moves event time. The one driver of `sluice
// replay`, of the embedding API's playback and of the tests that replay golden cases.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/engine.h"

namespace sluice::connectors {
class JsonRowDecoder;
}

namespace sluice::runtime {

class ReplayPlayer {
 public:
  explicit ReplayPlayer(AppRuntime* app);
  ~ReplayPlayer();

  // Plays one line (a blank line is nothing). InvalidArgument: the line is malformed or its event
  // refused, it is counted on its stream where it names one, and the app carries on; any other
  // error is the app's own (it failed, or it is stopping).
  Status Play(std::string_view line);

 private:
  struct Input {
    std::unique_ptr<connectors::JsonRowDecoder> decoder;
    std::unique_ptr<Batch> batch;
  };
  AppRuntime* app_;
  std::map<std::string, Input, std::less<>> inputs_;
};

// Appends what `sluice replay` prints for each row of `out`: {"stream":"O","ts":1000,"data":{...}}
// lines, each ending in a newline; with `changelog`, {"stream":...,"ts":...,"op":"+U","data":...}.
void AppendReplayOutput(std::string* lines, const OutputBatch& out, bool changelog = false);

}  // namespace sluice::runtime
