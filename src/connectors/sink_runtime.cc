#include "connectors/sink_runtime.h"

#include <algorithm>
#include <cctype>
#include <random>

#include "absl/hash/hash.h"
#include "common/log.h"
#include "connectors/csv_codec.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "plan/options.h"

namespace sluice::connectors {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a wait sleeps before it looks again at the shutdown deadline.
constexpr milliseconds kPoll{100};
constexpr int64_t kMaxWorkers = 256;

Status PositiveNumber(const plan::StreamDef& def, const std::string& key, int64_t min,
                      int64_t* out) {
  auto it = def.connector->properties.find(key);
  if (it == def.connector->properties.end()) return Status::OK();
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < min)
    return SinkConfigError(def, "'" + key + "' must be a whole number of at least " +
                                    std::to_string(min) + ", got '" + it->second + "'");
  *out = v;
  return Status::OK();
}

Status Duration(const plan::StreamDef& def, const std::string& key, int64_t* out) {
  return DurationProperty(def, key, 0, out);
}

}  // namespace

Status SinkConfigError(const plan::StreamDef& def, const std::string& message) {
  return Status::InvalidArgument(Named(def) + ": " + message);
}

Status DurationProperty(const plan::StreamDef& def, const std::string& key, int64_t min_ms,
                        int64_t* ms) {
  auto it = def.connector->properties.find(key);
  if (it == def.connector->properties.end()) return Status::OK();
  int64_t v = 0;
  if (!plan::ParseDurationText(it->second, &v) || v < min_ms)
    return SinkConfigError(
        def, "'" + key + "' needs a duration such as '25ms' or '30s', got '" + it->second + "'");
  *ms = v;
  return Status::OK();
}

Result<std::unique_ptr<Sink>> OpenRuntimeSink(const plan::StreamDef& def,
                                              std::unique_ptr<SinkStore> store) {
  ASSIGN_OR_RETURN(SinkRuntimeOptions options, SinkRuntimeOptionsOf(def));
  auto sink = std::make_unique<RuntimeSink>(def.name, std::move(store), options);
  RETURN_IF_ERROR(sink->Open());
  return std::unique_ptr<Sink>(std::move(sink));
}

Result<SinkRuntimeOptions> SinkRuntimeOptionsOf(const plan::StreamDef& def) {
  SinkRuntimeOptions o;
  int64_t v = static_cast<int64_t>(o.queue_size);
  RETURN_IF_ERROR(PositiveNumber(def, "queue.size", 1, &v));
  o.queue_size = static_cast<size_t>(v);
  v = static_cast<int64_t>(o.batch_size);
  RETURN_IF_ERROR(PositiveNumber(def, "batch.size", 1, &v));
  o.batch_size = static_cast<size_t>(v);
  v = o.workers;
  RETURN_IF_ERROR(PositiveNumber(def, "workers", 1, &v));
  if (v > kMaxWorkers)
    return SinkConfigError(def, "'workers' may be at most " + std::to_string(kMaxWorkers) +
                                    ", got " + std::to_string(v));
  o.workers = static_cast<int>(v);
  RETURN_IF_ERROR(PositiveNumber(def, "retry.max", 0, &o.retry_max));
  RETURN_IF_ERROR(PositiveNumber(def, "circuit.breaker.threshold", 1, &o.breaker_threshold));
  RETURN_IF_ERROR(Duration(def, "batch.timeout", &o.batch_timeout_ms));
  RETURN_IF_ERROR(DurationProperty(def, "retry.backoff.initial", 1, &o.backoff_initial_ms));
  RETURN_IF_ERROR(DurationProperty(def, "retry.backoff.max", 1, &o.backoff_max_ms));
  RETURN_IF_ERROR(Duration(def, "circuit.breaker.timeout", &o.breaker_timeout_ms));
  std::string full = Prop(def, "queue.full", "block");
  for (char& c : full) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (full != "block" && full != "drop")
    return SinkConfigError(def, "'queue.full' must be 'block' or 'drop', got '" + full + "'");
  o.drop_when_full = full == "drop";
  o.partition_column = def.partition_key;
  return o;
}

void SinkRecords::Append(const SinkRecords& from, size_t i) {
  bytes_.append(from.key(i));
  EndKey();
  bytes_.append(from.value(i));
  EndRecord(from.kind(i));
}

RuntimeSink::RuntimeSink(std::string stream, std::unique_ptr<SinkStore> store,
                         SinkRuntimeOptions options)
    : stream_(std::move(stream)), store_(std::move(store)), options_(options) {
  pending_.resize(options_.workers);
  moving_.resize(options_.workers);
  for (int i = 0; i < options_.workers; ++i) workers_.push_back(std::make_unique<Worker>());
}

RuntimeSink::~RuntimeSink() {
  stop_.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->work_cv.notify_all();
    }
    if (w->thread.joinable()) w->thread.join();
  }
}

Status RuntimeSink::Open() {
  Result<std::unique_ptr<SinkConnection>> first = store_->Connect();
  if (!first.ok())
    return Status(first.status().code(), "stream '" + stream_ + "': " + first.status().message());
  workers_[0]->connection = std::move(*first);
  for (auto& w : workers_) {
    Worker* worker = w.get();
    w->thread = std::thread([this, worker] { WorkerLoop(*worker); });
  }
  return Status::OK();
}

void RuntimeSink::Push(const Batch& batch) {
  if (batch.num_rows() == 0) return;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (workers_.size() == 1) {
      for (size_t r = 0; r < batch.num_rows(); ++r) store_->Encode(batch, r, &pending_[0]);
    } else {
      std::string text;
      const bool keyed = store_->keyed();
      for (size_t r = 0; r < batch.num_rows(); ++r) {
        scratch_.Clear();
        store_->Encode(batch, r, &scratch_);
        if (!keyed && options_.partition_column >= 0) {
          text.clear();
          AppendFieldText(&text, batch.column(options_.partition_column), r);
        }
        for (size_t i = 0; i < scratch_.size(); ++i) {
          size_t w;
          if (keyed) {
            w = absl::Hash<std::string_view>{}(scratch_.key(i)) % workers_.size();
          } else if (options_.partition_column >= 0) {
            w = absl::Hash<std::string_view>{}(text) % workers_.size();
          } else {
            w = next_worker_++ % workers_.size();  // no order to keep: the workers take turns
          }
          pending_[w].Append(scratch_, i);
        }
      }
    }
    uint64_t refused = scratch_.TakeRefused();
    for (SinkRecords& p : pending_) refused += p.TakeRefused();
    if (refused) failed_.fetch_add(refused, std::memory_order_relaxed);
  }
  exec::StageWork(this);
}

void RuntimeSink::RunStaged() { MoveToQueues(Clock::time_point::max()); }

bool RuntimeSink::MoveToQueues(Clock::time_point deadline) {
  // The order lock first, then what is pending: rows pushed after another thread took its share
  // are queued after that share.
  std::lock_guard<std::mutex> order(enqueue_mu_);
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (size_t w = 0; w < workers_.size(); ++w) {
      if (moving_[w].empty()) {
        std::swap(moving_[w], pending_[w]);
      } else {  // what an earlier call could not queue goes first
        for (size_t i = 0; i < pending_[w].size(); ++i) moving_[w].Append(pending_[w], i);
      }
      pending_[w].Clear();
    }
  }
  for (size_t w = 0; w < workers_.size(); ++w)
    if (!moving_[w].empty() && !Enqueue(*workers_[w], moving_[w], deadline)) return false;
  return true;
}

bool RuntimeSink::Enqueue(Worker& w, SinkRecords& chunk, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(w.mu);
  size_t n = chunk.size();
  if (!status().ok()) {
    failed_.fetch_add(n, std::memory_order_relaxed);  // the sink failed: the app is stopping
    chunk.Clear();
    return true;
  }
  if (options_.drop_when_full) {
    size_t room = options_.queue_size > w.queued ? options_.queue_size - w.queued : 0;
    if (room < n) {
      dropped_.fetch_add(n - room, std::memory_order_relaxed);
      if (room == 0) {
        chunk.Clear();
        return true;
      }
      SinkRecords kept;
      for (size_t i = 0; i < room; ++i) kept.Append(chunk, i);
      std::swap(chunk, kept);
      n = room;
    }
  } else {
    // A chunk larger than the whole queue goes in alone, or it would never fit.
    while (w.queued > 0 && w.queued + n > options_.queue_size) {
      if (GivenUp() || !status().ok()) {
        (status().ok() ? left_ : failed_).fetch_add(n, std::memory_order_relaxed);
        chunk.Clear();
        return true;
      }
      if (Clock::now() >= deadline) return false;
      w.space_cv.wait_until(lock, std::min(deadline, Clock::now() + kPoll));
    }
  }
  if (w.queued == 0) w.oldest = Clock::now();
  w.queue.emplace_back();
  std::swap(w.queue.back(), chunk);
  chunk.Clear();
  w.queued += n;
  w.work_cv.notify_one();
  return true;
}

void RuntimeSink::WorkerLoop(Worker& w) {
  size_t front_taken = 0;  // records of w.queue.front() already taken
  std::unique_lock<std::mutex> lock(w.mu);
  for (;;) {
    w.work_cv.wait(lock, [&] { return w.queued > 0 || stopping(); });
    if (w.queued == 0) return;      // stopping, and everything was written
    if (stopping() && GivenUp()) {  // the shutdown timed out: what is queued is left unwritten
      left_.fetch_add(w.queued, std::memory_order_relaxed);
      w.queue.clear();
      w.queued = 0;
      return;
    }
    // A partial batch waits for more, up to the timeout after its oldest record came, unless a
    // checkpoint or the shutdown wants everything written now.
    if (w.queued < options_.batch_size && w.flushes == 0 && !stopping()) {
      w.work_cv.wait_until(lock, w.oldest + milliseconds(options_.batch_timeout_ms), [&] {
        return w.queued >= options_.batch_size || w.flushes > 0 || stopping();
      });
    }
    w.batch.Clear();
    size_t take = std::min(options_.batch_size, w.queued);
    while (w.batch.size() < take) {
      SinkRecords& front = w.queue.front();
      for (; front_taken < front.size() && w.batch.size() < take; ++front_taken)
        w.batch.Append(front, front_taken);
      if (front_taken == front.size()) {
        w.queue.pop_front();
        front_taken = 0;
      }
    }
    w.queued -= take;
    w.writing = take;
    w.space_cv.notify_all();
    lock.unlock();
    WriteBatch(w);
    lock.lock();
    w.writing = 0;
    w.space_cv.notify_all();
  }
}

bool RuntimeSink::WriteBatch(Worker& w) {
  const size_t n = w.batch.size();
  const auto start = Clock::now();
  for (int64_t attempt = 0;; ++attempt) {
    if (!status().ok()) {
      failed_.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    if (!AwaitBreaker()) {  // the sink failed meanwhile, or the shutdown timed out
      (status().ok() ? left_ : failed_).fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    Status st;
    if (!w.connection) {
      Result<std::unique_ptr<SinkConnection>> c = store_->Connect();
      if (c.ok()) {
        w.connection = std::move(*c);
      } else {
        st = c.status();
      }
    }
    if (st.ok()) st = w.connection->Write(w.batch, 0, n);
    if (st.ok()) {
      Succeeded();
      written_.fetch_add(n, std::memory_order_relaxed);
      batches_.fetch_add(1, std::memory_order_relaxed);
      batch_latency_.Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
      return true;
    }
    w.connection.reset();  // in doubt after a failure: the next attempt connects again
    if (st.code() == StatusCode::kInvalidArgument) {
      // The store refused the records themselves: writing them again cannot help.
      failed_.fetch_add(n, std::memory_order_relaxed);
      Fail(Status::IoError("stream '" + stream_ + "': " + store_->where() + ": " + st.message() +
                           "; a batch of " + std::to_string(n) + " event(s) was lost"));
      return false;
    }
    FailedAttempt(st);
    if (options_.retry_max >= 0 && attempt >= options_.retry_max) {
      failed_.fetch_add(n, std::memory_order_relaxed);
      Fail(Status::IoError("stream '" + stream_ + "': " + store_->where() + ": " + st.message() +
                           "; a batch of " + std::to_string(n) + " event(s) failed " +
                           std::to_string(attempt + 1) + " time(s) ('retry.max' is " +
                           std::to_string(options_.retry_max) + ") and was lost"));
      return false;
    }
    if (GivenUp()) {
      left_.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    retried_.fetch_add(1, std::memory_order_relaxed);
    auto until = Clock::now() + Backoff(attempt);
    std::unique_lock<std::mutex> lock(breaker_mu_);
    while (Clock::now() < until && !GivenUp() && status().ok())
      breaker_cv_.wait_until(lock, std::min(until, Clock::now() + kPoll));
    lock.unlock();
    if (GivenUp()) {  // no attempt after the shutdown's deadline
      left_.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
  }
}

bool RuntimeSink::AwaitBreaker() {
  std::unique_lock<std::mutex> lock(breaker_mu_);
  for (;;) {
    if (breaker_ == Breaker::kClosed) return true;
    auto now = Clock::now();
    if (breaker_ == Breaker::kOpen && now >= open_until_) {
      breaker_ = Breaker::kHalfOpen;
      probing_ = false;
      Log(LogLevel::kInfo, "stream '" + stream_ + "': " + store_->where() +
                               ": circuit breaker half-open, trying one batch");
    }
    if (breaker_ == Breaker::kHalfOpen && !probing_) {
      probing_ = true;
      return true;
    }
    if (GivenUp() || !status().ok()) return false;
    auto wake = now + kPoll;
    if (breaker_ == Breaker::kOpen) wake = std::min(wake, open_until_);
    breaker_cv_.wait_until(lock, wake);
  }
}

void RuntimeSink::Succeeded() {
  std::lock_guard<std::mutex> lock(breaker_mu_);
  if (consecutive_failures_ > 0 && breaker_ == Breaker::kClosed)
    Log(LogLevel::kInfo, "stream '" + stream_ + "': " + store_->where() + ": writing again after " +
                             std::to_string(consecutive_failures_) + " failed attempt(s)");
  consecutive_failures_ = 0;
  if (breaker_ != Breaker::kClosed) {
    breaker_ = Breaker::kClosed;
    probing_ = false;
    Log(LogLevel::kInfo, "stream '" + stream_ + "': " + store_->where() +
                             ": circuit breaker closed, the store answers again");
    breaker_cv_.notify_all();
  }
}

void RuntimeSink::FailedAttempt(const Status& st) {
  std::lock_guard<std::mutex> lock(breaker_mu_);
  last_error_ = st.message();
  if (++consecutive_failures_ == 1)
    Log(LogLevel::kWarn, "stream '" + stream_ + "': " + store_->where() +
                             ": write failed, retrying: " + st.message());
  bool open = breaker_ == Breaker::kHalfOpen ||
              (breaker_ == Breaker::kClosed && consecutive_failures_ >= options_.breaker_threshold);
  if (!open) return;
  breaker_ = Breaker::kOpen;
  probing_ = false;
  open_until_ = Clock::now() + milliseconds(options_.breaker_timeout_ms);
  ++breaker_opened_;
  Log(LogLevel::kWarn, "stream '" + stream_ + "': " + store_->where() +
                           ": circuit breaker open after " + std::to_string(consecutive_failures_) +
                           " consecutive failure(s); next try in " +
                           std::to_string(options_.breaker_timeout_ms) + " ms: " + st.message());
  breaker_cv_.notify_all();
}

// Exponential, capped, with equal jitter: between half and all of initial * 2^attempt, so that
// workers and apps retrying together spread out.
milliseconds RuntimeSink::Backoff(int64_t attempt) {
  int64_t d = options_.backoff_initial_ms;
  for (int64_t i = 0; i < attempt && d < options_.backoff_max_ms; ++i) d *= 2;
  d = std::min(d, options_.backoff_max_ms);
  if (d <= 1) return milliseconds(d);
  thread_local std::minstd_rand rng(std::random_device{}());
  return milliseconds(d / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(d - d / 2 + 1)));
}

Result<std::string> RuntimeSink::Commit() {
  // Everything queued before the cut is written before the checkpoint counts: the store then
  // holds at least every result of the checkpointed prefix.
  const milliseconds wait = TimeLeft(milliseconds(10'000));
  auto deadline = Clock::now() + wait;
  auto late = [&](size_t n) {
    std::string last = LastError();
    return Status::IoError("stream '" + stream_ + "': " + store_->where() + ": " +
                           std::to_string(n) + " event(s) were not written within " +
                           std::to_string(wait.count()) + " ms of a checkpoint" +
                           (last.empty() ? "" : " (last error: " + last + ")"));
  };
  if (!MoveToQueues(deadline)) return late(QueuedNow());
  for (auto& w : workers_) {
    std::unique_lock<std::mutex> lock(w->mu);
    ++w->flushes;
    w->work_cv.notify_one();
    while ((w->queued > 0 || w->writing > 0) && status().ok() && Clock::now() < deadline)
      w->space_cv.wait_until(lock, std::min(deadline, Clock::now() + kPoll));
    --w->flushes;
    if (w->queued > 0 || w->writing > 0) {
      RETURN_IF_ERROR(status());
      lock.unlock();
      return late(QueuedNow());
    }
  }
  RETURN_IF_ERROR(status());
  return std::string();  // a store cannot be cut back: at least once after a restore
}

Status RuntimeSink::Close() {
  RunStaged();
  stop_.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->work_cv.notify_all();
    }
    if (w->thread.joinable()) w->thread.join();
  }
  uint64_t left = left_.load();
  if (left > 0 && status().ok())
    Fail(Status::IoError("stream '" + stream_ + "': " + store_->where() + ": " +
                         std::to_string(left) +
                         " event(s) were not written before the shutdown timeout" +
                         (LastError().empty() ? "" : " (last error: " + LastError() + ")")));
  return status();
}

bool RuntimeSink::Drained() {
  // A record only moves on (pending, moving, queued, being written, written): looked for in that
  // order, one pushed before the call is found wherever it still is.
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (const SinkRecords& p : pending_)
      if (!p.empty()) return false;
  }
  {
    std::unique_lock<std::mutex> order(enqueue_mu_, std::try_to_lock);
    if (!order.owns_lock()) return false;  // being moved: not written yet
    for (const SinkRecords& m : moving_)
      if (!m.empty()) return false;
  }
  for (const auto& w : workers_) {
    std::lock_guard<std::mutex> lock(w->mu);
    if (w->queued > 0 || w->writing > 0) return false;
  }
  return true;
}

size_t RuntimeSink::QueuedNow() const {
  size_t n = 0;
  for (const auto& w : workers_) {
    std::lock_guard<std::mutex> lock(w->mu);
    n += w->queued + w->writing;
  }
  return n;
}

std::string RuntimeSink::LastError() const {
  std::lock_guard<std::mutex> lock(breaker_mu_);
  return last_error_;
}

Status RuntimeSink::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

void RuntimeSink::Fail(const Status& st) {
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    if (!status_.ok()) return;
    status_ = st;
  }
  {
    std::lock_guard<std::mutex> lock(breaker_mu_);
    breaker_cv_.notify_all();
  }
  if (on_failure_) on_failure_(st);
}

SinkStats RuntimeSink::Stats() const {
  SinkStats s = Sink::Stats();
  s.failed = failed_.load(std::memory_order_relaxed);
  s.retried = retried_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  s.left = left_.load(std::memory_order_relaxed);
  s.batch_p50_us = static_cast<double>(batch_latency_.Percentile(0.5)) / 1000;
  s.batch_p99_us = static_cast<double>(batch_latency_.Percentile(0.99)) / 1000;
  s.queued = QueuedNow();
  std::lock_guard<std::mutex> lock(breaker_mu_);
  s.breaker = breaker_ == Breaker::kClosed ? "closed"
              : breaker_ == Breaker::kOpen ? "open"
                                           : "half-open";
  s.breaker_opened = breaker_opened_;
  s.last_error = last_error_;
  return s;
}

Result<exec::TableCacheOptions> TableCacheOptionsOf(const plan::StreamDef& def) {
  ASSIGN_OR_RETURN(SinkRuntimeOptions retry, SinkRuntimeOptionsOf(def));
  exec::TableCacheOptions o;
  o.max_rows = def.connector->cache_rows;
  o.ttl_ms = def.connector->cache_ttl_ms;
  o.retries = retry.retry_max;
  o.backoff_ms = retry.backoff_initial_ms;
  o.backoff_max_ms = retry.backoff_max_ms;
  return o;
}

}  // namespace sluice::connectors
