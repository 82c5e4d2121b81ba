// The front of a query that reads several streams (a join, a pattern): it turns their arrivals
// into rows (gathered in out_) that `rest`, the usual operator for the rest of the query, carries
// on with. It owns the time-driven part both share: OnTime moves its own time under mu_, hands on
// what that produced, then lets `rest` do its own time-driven work.
#pragma once

#include <memory>
#include <mutex>

#include "exec/operator.h"
#include "sluice/batch.h"

namespace sluice::exec {

class MultiStreamOp : public TimedWork, public Stateful {
 public:
  void OnTime(int64_t now_ms) final;
  int64_t NextDeadline() const final;
  void EndInput() final;
  void Snapshot(StateWriter& w) const final;
  void Restore(StateReader& r) final;
  StateSize Size() const final;

 protected:
  // `row_schema`: the rows handed to `rest`. `rest_timed`: rest's time-driven work, or null.
  // `driven_by_clock`: OnTime moves this operator's time (else only its events do).
  MultiStreamOp(const Schema& row_schema, BatchConsumer* rest, TimedWork* rest_timed,
                bool driven_by_clock)
      : out_(row_schema), rest_(rest), rest_timed_(rest_timed), driven_by_clock_(driven_by_clock) {}

  // Moves time to `now`. Requires mu_.
  virtual void AdvanceLocked(int64_t now) = 0;
  // When AdvanceLocked next has work; kNever when none. Requires mu_.
  virtual int64_t DeadlineLocked() const = 0;
  // Work that waits for the clock whatever moves the windows (a join's lookups that are tried
  // again), and when it is next due. Requires mu_.
  virtual void OnClockLocked(int64_t now) {}
  virtual int64_t ClockDeadlineLocked() const { return kNever; }
  // Hands the rows in out_ to `rest`. Requires mu_.
  void Flush();
  // Before anything goes to `rest`: lets go of what may not be held while it runs (a join's
  // lock on the table it looks up). Requires mu_.
  virtual void ReleaseLookupsLocked() {}
  // The input has ended (see TimedWork::EndInput). Requires mu_.
  virtual void EndInputLocked() {}
  // The join's or pattern's own state. Requires mu_.
  virtual void SnapshotLocked(StateWriter& w) const = 0;
  virtual void RestoreLocked(StateReader& r) = 0;
  virtual StateSize SizeLocked() const = 0;

  mutable std::mutex mu_;  // one batch at a time, whichever stream it comes from
  Batch out_;

 private:
  BatchConsumer* rest_;  // the next operator of the pipeline
  TimedWork* rest_timed_;
  bool driven_by_clock_;  // guarded by mu_ (EndInput changes it)
};

}  // namespace sluice::exec
