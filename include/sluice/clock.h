// Time for the engine. Nothing in Sluice reads the wall clock directly: windows, WITHIN, timeouts
// and currentTimeMillis() ask a Clock, so tests and playback run on virtual time.
#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the epoch. Thread-safe.
  virtual int64_t NowMillis() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
};

// A clock that moves only when told: event time in playback, virtual time in tests. Never moves
// backwards: AdvanceTo with an earlier time is ignored.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 0) : now_(start_ms) {}
  int64_t NowMillis() const override { return now_.load(std::memory_order_acquire); }
  // Sets the time, earlier or later: for a restore of saved state.
  void Reset(int64_t ms) { now_.store(ms, std::memory_order_release); }
  void AdvanceTo(int64_t ms) {
    int64_t cur = now_.load(std::memory_order_relaxed);
    while (ms > cur && !now_.compare_exchange_weak(cur, ms, std::memory_order_acq_rel)) {
    }
  }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace sluice
