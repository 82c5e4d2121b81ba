#include "connectors/connector.h"

namespace sluice::connectors {

void StagedSink::Push(const Batch& batch) {
  if (batch.num_rows() == 0) return;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (!status_.ok()) return;  // failed: the app is stopping, and the loss was reported
    for (size_t r = 0; r < batch.num_rows(); ++r)
      if (Encode(batch, r, &pending_)) ends_.push_back(static_cast<uint32_t>(pending_.size()));
  }
  exec::StageWork(this);
}

void StagedSink::RunStaged() {
  // The write lock first, then what is pending: rows pushed after another thread took its share
  // are written after that share.
  std::lock_guard<std::mutex> write(write_mu_);
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    writing_.swap(pending_);
    writing_ends_.swap(ends_);
    pending_.clear();
    ends_.clear();
  }
  if (writing_ends_.empty() || closed_) return;
  Status st = Write(writing_, writing_ends_);
  if (st.ok()) {
    written_.fetch_add(writing_ends_.size(), std::memory_order_relaxed);
  } else {
    Fail(Status::IoError(st.message() + "; " + std::to_string(writing_ends_.size()) +
                         " event(s) were lost"));
  }
}

Status StagedSink::Close() {
  RunStaged();
  std::lock_guard<std::mutex> write(write_mu_);
  if (closed_) return status();
  closed_ = true;
  Status st = CloseOutput();
  if (!st.ok()) Fail(st);
  return status();
}

Result<std::string> StagedSink::Commit() {
  RunStaged();
  std::lock_guard<std::mutex> write(write_mu_);
  RETURN_IF_ERROR(status());
  if (closed_) return std::string();
  Result<std::string> position = CommitOutput();
  if (!position.ok()) Fail(position.status());
  return position;
}

Status StagedSink::status() const {
  std::lock_guard<std::mutex> lock(pending_mu_);
  return status_;
}

void StagedSink::Fail(const Status& st) {
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (!status_.ok()) return;
    status_ = st;
    pending_.clear();
    ends_.clear();
  }
  if (on_failure_) on_failure_(st);
}

}  // namespace sluice::connectors
