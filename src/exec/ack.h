// Which of a source's batches have been processed all the way: through its stream's queries and
// through every @Async stream their results crossed. A source that must not lose events (Kafka)
// stores an offset only once the batch it came in is acknowledged, so that what was merely
// queued when the process died is read again (at least once, really).
//
// The batch being processed on a thread is named by a thread-local ticket; an async stream that
// queues work while a ticket is current holds the ticket with it, and the worker that processes
// that work makes it current again, so that anything it queues further on is held too.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

namespace sluice::exec {

class AckTracker {
 public:
  // A new batch, numbered 1, 2, 3... in the order of the calls; held once (by the emitting call).
  uint64_t Begin();
  // One more holder of batch `seq` (work queued for it), and one holder done.
  void Hold(uint64_t seq);
  void Release(uint64_t seq);
  // Every batch up to this number is processed.
  uint64_t DoneThrough() const;

 private:
  mutable std::mutex mu_;
  uint64_t base_ = 1;          // the number of holds_.front()
  std::deque<int64_t> holds_;  // holders left, per batch from base_ on
  uint64_t done_through_ = 0;
};

struct AckTicket {
  AckTracker* tracker = nullptr;
  uint64_t seq = 0;
};

// The ticket of the batch this thread is processing (none: nothing is tracked).
AckTicket CurrentAckTicket();
// Makes `ticket` current for this scope, and the previous one again after.
class ScopedAckTicket {
 public:
  explicit ScopedAckTicket(AckTicket ticket);
  ~ScopedAckTicket();
  ScopedAckTicket(const ScopedAckTicket&) = delete;
  ScopedAckTicket& operator=(const ScopedAckTicket&) = delete;

 private:
  AckTicket previous_;
};

}  // namespace sluice::exec
