#include "runtime/checkpointer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/log.h"

namespace sluice::runtime {

namespace {

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kRetryMs = 1000;  // after a failure, at most this long until the next try

}  // namespace

Checkpointer::Checkpointer(std::string dir, Env* env, int retain, int64_t interval_ms, TakeCut take,
                           Completed completed)
    : store_(dir, env, retain),
      interval_ms_(interval_ms),
      take_(std::move(take)),
      completed_(std::move(completed)),
      dir_(std::move(dir)) {
  stats_.enabled = true;
}

Checkpointer::~Checkpointer() {
  StopPeriodic();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Checkpointer::Lock() {
  if (lock_fd_ >= 0) return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IoError("cannot create state dir '" + dir_ + "': " + ec.message());
  std::string path = dir_ + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    return Status::InvalidArgument(
        "state dir '" + dir_ + "' is in use by another app" +
        (n > 0 ? " (pid " + std::string(pid, static_cast<size_t>(n)) + ")" : std::string()) +
        ": each running app needs a state dir of its own");
  }
  std::string me = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    ssize_t written = ::pwrite(fd, me.data(), me.size(), 0);
    (void)written;  // the pid only helps the message above
  }
  lock_fd_ = fd;
  return Status::OK();
}

Result<std::optional<std::pair<state::CheckpointInfo, std::vector<state::CheckpointPart>>>>
Checkpointer::LoadNewest(std::string* warnings, bool move_aside) {
  std::vector<std::string> skipped;
  auto loaded = store_.LoadNewest(&skipped, move_aside);
  for (const std::string& s : skipped) *warnings += "checkpoint skipped: " + s + "\n";
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kNotFound)
      return std::optional<std::pair<state::CheckpointInfo, std::vector<state::CheckpointPart>>>();
    return loaded.status();
  }
  return std::optional(std::move(*loaded));
}

void Checkpointer::Restored(uint64_t id, int64_t micros) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.restored_id = id;
  stats_.restore_us = micros;
}

void Checkpointer::StartPeriodic() {
  if (interval_ms_ <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void Checkpointer::StopPeriodic() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t wait = interval_ms_;
  while (!cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stop_; })) {
    lock.unlock();
    bool ok = CheckpointNow().ok();
    lock.lock();
    wait = ok ? interval_ms_ : std::min(interval_ms_, kRetryMs);
  }
}

Result<uint64_t> Checkpointer::CheckpointNow() {
  std::lock_guard<std::mutex> one(take_mu_);
  int64_t start = SteadyMicros();
  Result<Cut> cut = take_();
  Result<state::CheckpointInfo> written =
      cut.ok() ? store_.Write(cut->parts, cut->meta) : Result<state::CheckpointInfo>(cut.status());
  std::unique_lock<std::mutex> lock(mu_);
  if (!written.ok()) {
    ++stats_.failed;
    stats_.last_error = written.status().message();
    Log(LogLevel::kWarn,
        "checkpoint failed (the previous one stays valid): " + written.status().message());
    return written.status();
  }
  ++stats_.completed;
  stats_.last_id = written->id;
  stats_.last_duration_us = SteadyMicros() - start;
  stats_.last_pause_us = written->meta.pause_us;
  stats_.last_bytes = written->stored_bytes();
  last_steady_ms_ = SteadyMicros() / 1000;
  lock.unlock();
  if (completed_) completed_(*written);
  return written->id;
}

CheckpointStats Checkpointer::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  CheckpointStats s = stats_;
  s.last_age_ms = s.last_id ? SteadyMicros() / 1000 - last_steady_ms_ : -1;
  return s;
}

}  // namespace sluice::runtime
