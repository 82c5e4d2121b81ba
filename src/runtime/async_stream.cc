#include "runtime/async_stream.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "common/row_key.h"
#include "exec/staged_work.h"

namespace sluice::runtime {

namespace {

// What this thread's processing produced for async streams, queued when it holds no lock.
struct Staged {
  AsyncStream* stream;
  size_t lane;
  Batch* batch;
  exec::AckTicket ticket;
};

// The work queued for a tracked source batch holds it until processed (exec/ack.h).
exec::AckTicket HoldTicket() {
  exec::AckTicket ticket = exec::CurrentAckTicket();
  if (ticket.tracker) ticket.tracker->Hold(ticket.seq);
  return ticket;
}

void ReleaseTicket(const exec::AckTicket& ticket) {
  if (ticket.tracker) ticket.tracker->Release(ticket.seq);
}
thread_local std::vector<Staged> t_outbox;
// The loop whose worker this thread is, if any.
thread_local const FeedbackLoop* t_worker_loop = nullptr;

}  // namespace

// Queues every async stream's staged batches when the thread's entry point runs its staged work.
class AsyncStream::Outbox final : public exec::StagedWork {
 public:
  void RunStaged() override { AsyncStream::FlushOutbox(); }
};

AsyncStream::Outbox AsyncStream::outbox_;

void AsyncStream::FlushOutbox() {
  // Enqueue calls no operator, so nothing is staged while this runs; still, take the list first.
  std::vector<Staged> staged;
  staged.swap(t_outbox);
  for (const Staged& s : staged) s.stream->Enqueue(*s.stream->lanes_[s.lane], s.batch, s.ticket);
  staged.clear();
  if (t_outbox.empty()) t_outbox.swap(staged);  // keep the capacity
}

bool FeedbackLoop::WaitIdle(std::chrono::steady_clock::time_point deadline) const {
  while (in_flight_.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

AsyncStream::AsyncStream(const plan::StreamDef& def, StreamJunction* junction, int partition_column,
                         FeedbackLoop* loop)
    : def_(def),
      junction_(junction),
      partition_column_(def.async.workers > 1 ? partition_column : -1),
      loop_(loop),
      cfg_(def.async),
      free_(static_cast<size_t>(std::max(1, def.async.buffer_size)) *
                static_cast<size_t>(std::max(1, def.async.workers)) +
            64) {
  for (std::atomic<uint8_t>& owner : owner_) owner.store(kUnowned, std::memory_order_relaxed);
  for (int i = 0; i < std::max(1, cfg_.workers); ++i)
    lanes_.push_back(
        std::make_unique<Lane>(static_cast<size_t>(std::max(1, cfg_.buffer_size)), lanes_.size()));
}

AsyncStream::~AsyncStream() { Drain(std::chrono::steady_clock::now()); }

int64_t AsyncStream::NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void AsyncStream::Start(const EntryGate* gate) {
  if (started_) return;
  started_ = true;
  gate_ = gate;
  for (auto& lane : lanes_) {
    Lane* l = lane.get();
    l->worker = std::thread([this, l] { WorkerLoop(*l); });
  }
}

Batch* AsyncStream::Acquire() {
  Batch* b;
  if (free_.TryPop(&b)) {
    b->Reset(def_.schema);
    return b;
  }
  std::lock_guard<std::mutex> lock(pool_mu_);
  all_.push_back(std::make_unique<Batch>(def_.schema));
  return all_.back().get();
}

void AsyncStream::Release(Batch* b) {
  if (!free_.TryPush(b)) {
    // The pool is larger than the free list can hold: keep the batch owned, just not reused.
  }
}

void AsyncStream::Push(const Batch& batch) {
  size_t n = batch.num_rows();
  if (n == 0) return;
  size_t max_rows = static_cast<size_t>(std::max(1, cfg_.batch_size_max));
  if (partition_column_ < 0) {
    for (size_t from = 0; from < n; from += max_rows) {
      size_t to = std::min(n, from + max_rows);
      Batch* b = Acquire();
      b->AppendRows(batch, from, to);
      size_t lane = lanes_.size() == 1 ? 0 : round_robin_.fetch_add(1) % lanes_.size();
      lanes_[lane]->routed_events.fetch_add(to - from, std::memory_order_relaxed);
      t_outbox.push_back({this, lane, b, HoldTicket()});
    }
    exec::StageWork(&outbox_);
    return;
  }
  // Partitioned: each key always goes to the same worker, so its order is kept. Every row's lane
  // first, then each lane's rows are copied column by column.
  thread_local std::vector<std::vector<uint32_t>> rows_of;
  rows_of.resize(std::max(rows_of.size(), lanes_.size()));
  for (size_t lane = 0; lane < lanes_.size(); ++lane) rows_of[lane].clear();
  // A key's lane follows from its key group (common/row_key.h), so that values equal as keys
  // (0.0 and -0.0, NaNs) meet on one worker, as they meet in one group, and each worker owns
  // whole key groups.
  thread_local std::vector<uint64_t> hashes;
  hashes.resize(std::max(hashes.size(), n));
  ValueKeyHashes(batch.column(partition_column_), 0, n, hashes.data());
  for (size_t r = 0; r < n; ++r) {
    uint32_t group = KeyGroupOf(hashes[r]);
    uint8_t lane = owner_[group].load(std::memory_order_acquire);
    if (lane == kUnowned) lane = Claim(group, rows_of);
    rows_of[lane].push_back(static_cast<uint32_t>(r));
  }
  for (size_t lane = 0; lane < lanes_.size(); ++lane)
    lanes_[lane]->routed_events.fetch_add(rows_of[lane].size(), std::memory_order_relaxed);
  for (size_t lane = 0; lane < lanes_.size(); ++lane) {
    const std::vector<uint32_t>& rows = rows_of[lane];
    for (size_t from = 0; from < rows.size(); from += max_rows) {
      Batch* b = Acquire();
      b->AppendSelected(batch, rows.data() + from, std::min(max_rows, rows.size() - from));
      t_outbox.push_back({this, lane, b, HoldTicket()});
    }
  }
  exec::StageWork(&outbox_);
}

uint8_t AsyncStream::Claim(uint32_t group, const std::vector<std::vector<uint32_t>>& pending) {
  size_t best = 0;
  uint64_t least = UINT64_MAX;
  for (size_t lane = 0; lane < lanes_.size(); ++lane) {
    uint64_t given =
        lanes_[lane]->routed_events.load(std::memory_order_relaxed) + pending[lane].size();
    if (given < least) least = given, best = lane;
  }
  // Producers may race for a new group: the first claim wins, and all of them follow it.
  uint8_t expected = kUnowned;
  if (owner_[group].compare_exchange_strong(expected, static_cast<uint8_t>(best),
                                            std::memory_order_acq_rel))
    return static_cast<uint8_t>(best);
  return expected;
}

void AsyncStream::Enqueue(Lane& lane, Batch* b, exec::AckTicket ticket) {
  uint64_t events = b->num_rows();
  Item item{b, NowNs(), ticket};
  bool block = cfg_.backpressure == plan::Backpressure::kBlock;
  bool feedback = loop_ != nullptr && t_worker_loop == loop_;
  bool counted_pressure = false;
  auto pressure = [&] {
    if (!counted_pressure) backpressure_.fetch_add(1, std::memory_order_relaxed);
    counted_pressure = true;
  };
  int64_t delay_ms = cfg_.initial_delay_ms;
  for (;;) {
    if (state_.load(std::memory_order_acquire) != kRunning) {
      // Shutting down: the stream takes nothing more, and says so in `left`.
      left_.fetch_add(events, std::memory_order_relaxed);
      Release(b);
      return;
    }
    uint32_t space = lane.space_signal.load(std::memory_order_acquire);
    // While a loop's overflow drains, the queue counts as full (it keeps the order of what was
    // fed back, and holds back producers from outside the loop).
    bool overflowing = block && lane.overflow_items.load(std::memory_order_acquire) > 0;
    if (!overflowing && lane.queue.TryPush(item)) break;
    pressure();
    if (block && feedback) {
      Overflow(lane, item);
      break;
    }
    switch (cfg_.backpressure) {
      case plan::Backpressure::kBlock:
        lane.space_signal.wait(space, std::memory_order_acquire);
        break;
      case plan::Backpressure::kDrop: {
        Item old;
        if (lane.queue.TryPop(&old)) {
          uint64_t n = old.batch->num_rows();
          lane.queued_events.fetch_sub(n, std::memory_order_relaxed);
          dropped_.fetch_add(n, std::memory_order_relaxed);
          if (loop_) loop_->in_flight_.fetch_sub(1, std::memory_order_release);
          in_flight_.fetch_sub(1, std::memory_order_release);
          ReleaseTicket(old.ticket);  // dropped by the strategy: done with, not pending
          Release(old.batch);
        }
        break;
      }
      case plan::Backpressure::kExponentialBackoff:
        if (delay_ms > cfg_.max_delay_ms) {
          dropped_.fetch_add(events, std::memory_order_relaxed);
          ReleaseTicket(ticket);
          Release(b);
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        delay_ms *= 2;
        break;
    }
  }
  Accepted(lane, events);
}

void AsyncStream::Overflow(Lane& lane, const Item& item) {
  std::lock_guard<std::mutex> lock(lane.overflow_mu);
  lane.overflow.push_back(item);
  lane.overflow_items.fetch_add(1, std::memory_order_release);
  overflowed_.fetch_add(item.batch->num_rows(), std::memory_order_relaxed);
}

void AsyncStream::Accepted(Lane& lane, uint64_t events) {
  if (loop_) loop_->in_flight_.fetch_add(1, std::memory_order_release);
  in_flight_.fetch_add(1, std::memory_order_release);
  queued_.fetch_add(events, std::memory_order_relaxed);
  lane.queued_events.fetch_add(events, std::memory_order_relaxed);
  // Fill is measured in slots: a full queue of single events is full.
  uint64_t fill = std::min<uint64_t>(1000, lane.queue.SizeApprox() * 1000 / lane.queue.capacity());
  uint64_t seen = max_fill_permille_.load(std::memory_order_relaxed);
  while (fill > seen && !max_fill_permille_.compare_exchange_weak(seen, fill)) {
  }
  lane.items_signal.fetch_add(1, std::memory_order_release);
  lane.items_signal.notify_one();
}

bool AsyncStream::TryPop(Lane& lane, Item* item) {
  // The queue first: what overflowed was pushed after everything in it.
  bool popped = lane.queue.TryPop(item);
  if (!popped && lane.overflow_items.load(std::memory_order_acquire) > 0) {
    std::lock_guard<std::mutex> lock(lane.overflow_mu);
    if (!lane.overflow.empty()) {
      *item = lane.overflow.front();
      lane.overflow.pop_front();
      lane.overflow_items.fetch_sub(1, std::memory_order_release);
      popped = true;
    }
  }
  if (popped) {
    lane.queued_events.fetch_sub(item->batch->num_rows(), std::memory_order_relaxed);
    lane.space_signal.fetch_add(1, std::memory_order_release);
    lane.space_signal.notify_all();
  }
  return popped;
}

void AsyncStream::SnapshotOwners(exec::StateWriter& w) const {
  w.Section("async_owners", 1);
  w.U32(static_cast<uint32_t>(lanes_.size()));
  for (const auto& o : owner_) w.U8(o.load(std::memory_order_relaxed));
  for (const auto& lane : lanes_) w.U64(lane->routed_events.load(std::memory_order_relaxed));
}

Status AsyncStream::CheckSavedWorkers(exec::StateReader& r) const {
  uint32_t workers = r.U32();
  if (r.ok() && workers != lanes_.size())
    return Status::InvalidArgument("stream '" + def_.name + "' had " + std::to_string(workers) +
                                   " workers when its state was saved, it has " +
                                   std::to_string(lanes_.size()) +
                                   " now: its keys and queued events cannot be given back to them");
  return r.status();
}

Status AsyncStream::RestoreOwners(exec::StateReader& r) {
  if (!r.Section("async_owners", 1)) return r.status();
  RETURN_IF_ERROR(CheckSavedWorkers(r));
  std::array<uint8_t, kKeyGroups> owners{};
  for (auto& o : owners) {
    o = r.U8();
    if (o != kUnowned && o >= lanes_.size()) r.Fail("a key group owned by no worker");
  }
  std::vector<uint64_t> routed(lanes_.size());
  for (auto& n : routed) n = r.U64();
  RETURN_IF_ERROR(r.status());
  for (size_t g = 0; g < kKeyGroups; ++g) owner_[g].store(owners[g], std::memory_order_relaxed);
  for (size_t i = 0; i < lanes_.size(); ++i)
    lanes_[i]->routed_events.store(routed[i], std::memory_order_relaxed);
  return Status::OK();
}

bool AsyncStream::Pause(std::chrono::steady_clock::time_point deadline) {
  paused_.store(true, std::memory_order_release);
  for (auto& lane : lanes_) {  // a worker waiting for items looks again
    lane->items_signal.fetch_add(1, std::memory_order_release);
    lane->items_signal.notify_all();
  }
  for (auto& lane : lanes_) {
    while (started_ && !lane->parked.load(std::memory_order_acquire)) {
      if (std::chrono::steady_clock::now() >= deadline || state_.load() != kRunning) {
        Resume();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return true;
}

void AsyncStream::Resume() {
  paused_.store(false, std::memory_order_release);
  paused_.notify_all();
}

uint64_t AsyncStream::SnapshotQueued(exec::StateWriter& w) {
  w.Section("async_queued", 1);
  w.U32(static_cast<uint32_t>(lanes_.size()));
  uint64_t events = 0;
  for (auto& lane : lanes_) {
    // Taken out in order and put back as they were: nothing else touches a paused lane.
    std::vector<Item> queued, overflow;
    Item item;
    while (lane->queue.TryPop(&item)) queued.push_back(item);
    {
      std::lock_guard<std::mutex> lock(lane->overflow_mu);
      overflow.assign(lane->overflow.begin(), lane->overflow.end());
    }
    for (const Item& i : queued) lane->queue.TryPush(i);
    w.U64(queued.size() + overflow.size());
    for (const std::vector<Item>* items : {&queued, &overflow})
      for (const Item& i : *items) {
        w.WriteBatch(*i.batch);
        events += i.batch->num_rows();
      }
  }
  return events;
}

Status AsyncStream::RestoreQueued(exec::StateReader& r) {
  if (!r.Section("async_queued", 1)) return r.status();
  RETURN_IF_ERROR(CheckSavedWorkers(r));
  for (auto& lane : lanes_) {
    uint64_t n = r.Size(1);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      Batch* b = Acquire();
      r.ReadBatch(b);
      if (!r.ok()) {
        Release(b);
        break;
      }
      uint64_t events = b->num_rows();
      if (!lane->queue.TryPush(Item{b, NowNs(), {}})) Overflow(*lane, Item{b, NowNs(), {}});
      Accepted(*lane, events);
    }
  }
  return r.status();
}

void AsyncStream::WorkerLoop(Lane& lane) {
  t_worker_loop = loop_;
  if (gate_) gate_->EnterThread();
  for (;;) {
    if (state_.load(std::memory_order_acquire) == kAborting) return;
    if (paused_.load(std::memory_order_acquire)) {
      lane.parked.store(true, std::memory_order_release);
      paused_.wait(true, std::memory_order_acquire);
      lane.parked.store(false, std::memory_order_release);
      continue;
    }
    uint32_t items = lane.items_signal.load(std::memory_order_acquire);
    Item item;
    if (TryPop(lane, &item)) {
      uint64_t n = item.batch->num_rows();
      {
        // What this batch leads to downstream is held for its source batch too.
        exec::ScopedAckTicket ticket(item.ticket);
        LogBatch logged(def_.name, "@Async queue");
        junction_->PushFromLane(*item.batch, lane.index);
        exec::RunStagedWork();  // what the consumers staged (async streams, sinks); no lock held
      }
      ReleaseTicket(item.ticket);
      processed_.fetch_add(n, std::memory_order_relaxed);
      latency_.Record(static_cast<uint64_t>(std::max<int64_t>(0, NowNs() - item.enqueued_ns)));
      Release(item.batch);
      // Only now: what this batch fed back is already counted.
      if (loop_) loop_->in_flight_.fetch_sub(1, std::memory_order_release);
      in_flight_.fetch_sub(1, std::memory_order_release);
      continue;
    }
    if (state_.load(std::memory_order_acquire) != kRunning) return;  // drained
    lane.items_signal.wait(items, std::memory_order_acquire);
  }
}

void AsyncStream::Drain(std::chrono::steady_clock::time_point deadline) {
  if (drained_.exchange(true)) return;
  // Let the workers empty the queues, then stop them; past the deadline, stop them at once.
  while (started_) {
    bool empty = true;
    for (auto& lane : lanes_)
      empty = empty && lane->queue.SizeApprox() == 0 && lane->overflow_items.load() == 0;
    if (empty || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  bool timed_out = !started_ || std::chrono::steady_clock::now() >= deadline;
  state_.store(timed_out ? kAborting : kClosing, std::memory_order_release);
  for (auto& lane : lanes_) {
    lane->items_signal.fetch_add(1, std::memory_order_release);
    lane->items_signal.notify_all();
    lane->space_signal.fetch_add(1, std::memory_order_release);
    lane->space_signal.notify_all();
  }
  for (auto& lane : lanes_)
    if (lane->worker.joinable()) lane->worker.join();
  uint64_t left = 0;
  for (auto& lane : lanes_) {
    Item item;
    while (TryPop(*lane, &item)) {
      left += item.batch->num_rows();
      Release(item.batch);
    }
  }
  closed_.store(true, std::memory_order_release);
  if (left > 0) {
    left_.fetch_add(left, std::memory_order_relaxed);
    Log(LogLevel::kWarn, "stream " + def_.name + ": " + std::to_string(left) +
                             " event(s) still queued at shutdown were not processed" +
                             (started_ ? " (the shutdown timed out)" : " (never started)"));
  }
}

bool AsyncStream::WaitIdle(std::chrono::steady_clock::time_point deadline) const {
  while (in_flight_.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

AsyncStats AsyncStream::Stats() {
  AsyncStats s;
  s.queued = queued_.load();
  s.processed = processed_.load();
  s.dropped = dropped_.load();
  s.left = left_.load();
  s.backpressure = backpressure_.load();
  s.overflowed = overflowed_.load();
  for (const auto& lane : lanes_) {
    if (lanes_.size() > 1) s.worker_events.push_back(lane->routed_events.load());
    s.depth += lane->queued_events.load(std::memory_order_relaxed);
    s.capacity += lane->queue.capacity() * static_cast<uint64_t>(std::max(1, cfg_.batch_size_max));
  }
  // Queued in a race with the end of the drain: never processed.
  if (closed_.load(std::memory_order_acquire)) s.left += s.depth;
  s.p50_ns = latency_.Percentile(0.50);
  s.p95_ns = latency_.Percentile(0.95);
  s.p99_ns = latency_.Percentile(0.99);
  s.max_fill = static_cast<double>(max_fill_permille_.load()) / 1000.0;
  size_t used = 0, slots = 0;
  for (const auto& lane : lanes_) used += lane->queue.SizeApprox(), slots += lane->queue.capacity();
  s.fill = slots ? static_cast<double>(used) / static_cast<double>(slots) : 0;
  // The seed's rule is about a queue that stays full, not one that fills for an instant.
  int64_t now = NowNs();
  if (s.fill > 0.8) {
    int64_t since = over_since_ns_.load();
    if (since == 0) {
      over_since_ns_.compare_exchange_strong(since, now);
      since = over_since_ns_.load();
    }
    s.over_80_ms = (now - since) / 1'000'000;
  } else {
    over_since_ns_.store(0);
  }
  return s;
}

}  // namespace sluice::runtime
