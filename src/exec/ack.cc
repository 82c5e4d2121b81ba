#include "exec/ack.h"

namespace sluice::exec {

namespace {
thread_local AckTicket t_ticket;
}  // namespace

uint64_t AckTracker::Begin() {
  std::lock_guard<std::mutex> lock(mu_);
  holds_.push_back(1);
  return base_ + holds_.size() - 1;
}

void AckTracker::Hold(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  if (seq >= base_ && seq - base_ < holds_.size()) ++holds_[seq - base_];
}

void AckTracker::Release(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  if (seq < base_ || seq - base_ >= holds_.size()) return;
  --holds_[seq - base_];
  while (!holds_.empty() && holds_.front() <= 0) {
    holds_.pop_front();
    done_through_ = base_++;
  }
}

uint64_t AckTracker::DoneThrough() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_through_;
}

AckTicket CurrentAckTicket() { return t_ticket; }

ScopedAckTicket::ScopedAckTicket(AckTicket ticket) : previous_(t_ticket) { t_ticket = ticket; }

ScopedAckTicket::~ScopedAckTicket() { t_ticket = previous_; }

}  // namespace sluice::exec
