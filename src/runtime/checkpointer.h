// Takes an app's checkpoints: periodically on its own thread, on demand and at shutdown, one at
// a time, and keeps their numbers. The app provides the consistent cut (its operators' state
// with every entry point paused); the checkpointer writes it outside the pause, so that the
// inputs wait only for the in-memory copy. A failed checkpoint is counted, logged and retried
// sooner than the interval; the previous ones stay valid.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "sluice/env.h"
#include "sluice/metrics.h"
#include "state/checkpoint_store.h"

namespace sluice::runtime {

class Checkpointer {
 public:
  struct Cut {
    std::vector<state::CheckpointPart> parts;
    state::CheckpointMeta meta;
  };
  using TakeCut = std::function<Result<Cut>()>;
  // Told of each checkpoint once it is published (sources that commit positions elsewhere).
  using Completed = std::function<void(const state::CheckpointInfo&)>;

  Checkpointer(std::string dir, Env* env, int retain, int64_t interval_ms, TakeCut take,
               Completed completed);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Takes the state dir for this process (creating it): a second app on the same dir would
  // restore and overwrite the first one's checkpoints. Released when the checkpointer goes (or
  // the process dies). Idempotent.
  Status Lock();

  // The newest checkpoint that reads back whole; nullopt when the directory has none. Newer
  // ones that do not read are described in *warnings.
  Result<std::optional<std::pair<state::CheckpointInfo, std::vector<state::CheckpointPart>>>>
  LoadNewest(std::string* warnings, bool move_aside = false);
  void Restored(uint64_t id, int64_t micros);

  // Every interval_ms (none when it is not positive), from now until StopPeriodic().
  void StartPeriodic();
  // Waits for a checkpoint under way. Idempotent.
  void StopPeriodic();
  // Takes one now; its id.
  Result<uint64_t> CheckpointNow();
  CheckpointStats Stats() const;

 private:
  void Loop();

  state::CheckpointStore store_;
  int64_t interval_ms_;
  TakeCut take_;
  Completed completed_;
  std::mutex take_mu_;  // one checkpoint at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  CheckpointStats stats_;
  std::string dir_;
  int lock_fd_ = -1;
  int64_t last_steady_ms_ = 0;  // when the newest complete one was taken
};

}  // namespace sluice::runtime
