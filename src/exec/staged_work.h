// Work that may block is never done inside Push, where operator locks are held (contract rule 5
// of exec/operator.h): waiting for space in a full queue (an async stream's, a sink's) is staged
// for the calling thread instead, and the thread's entry point (a send, an async worker after a
// batch, a timer tick, FinishInput) runs it once its processing has returned and it holds no
// lock. Waiting then never holds up another thread that needs one of those locks.
#pragma once

namespace sluice::exec {

class StagedWork {
 public:
  virtual ~StagedWork() = default;
  // Does what this object staged on the calling thread; may block.
  virtual void RunStaged() = 0;
};

// Notes that `work` has something staged on this thread; it is run once by the next
// RunStagedWork() on this thread, however often it is noted before.
void StageWork(StagedWork* work);

// Runs, in the order first staged, everything staged on this thread. Call only while holding no
// lock (what it runs may wait for queue space).
void RunStagedWork();

}  // namespace sluice::exec
