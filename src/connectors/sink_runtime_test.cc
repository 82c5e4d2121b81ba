// The sink runtime's logic against an in-process store whose writes can be made to fail or to
// hang: batching, per-key order across workers, retries, the circuit breaker, both queue-full
// modes, the checkpoint flush and the shutdown drain. (Redis itself: tests/redis_sink_test.cc.)
#include "connectors/sink_runtime.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "exec/staged_work.h"

namespace sluice::connectors {
namespace {

using namespace std::chrono_literals;

// What the store holds, and how it behaves; shared by its connections.
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::string>> written;  // key, value
  std::vector<size_t> batch_sizes;
  bool down = false;    // every write fails
  bool refuse = false;  // connecting fails too
  bool hold = false;    // writes wait until released
  int holding = 0;      // writes waiting now

  void Set(bool Shared::*flag, bool value) {
    std::lock_guard<std::mutex> lock(mu);
    this->*flag = value;
    cv.notify_all();
  }
};

class TestConnection : public SinkConnection {
 public:
  explicit TestConnection(Shared* s) : s_(s) {}
  Status Write(const SinkRecords& records, size_t begin, size_t end) override {
    std::unique_lock<std::mutex> lock(s_->mu);
    ++s_->holding;
    s_->cv.notify_all();
    s_->cv.wait(lock, [&] { return !s_->hold; });
    --s_->holding;
    if (s_->down) return Status::IoError("the store is down");
    for (size_t i = begin; i < end; ++i)
      s_->written.emplace_back(std::string(records.key(i)), std::string(records.value(i)));
    s_->batch_sizes.push_back(end - begin);
    return Status::OK();
  }

 private:
  Shared* s_;
};

// Key: column 0; value: column 1 (both BIGINT).
class TestStore : public SinkStore {
 public:
  explicit TestStore(Shared* s) : s_(s) {}
  void Encode(const Batch& batch, size_t row, SinkRecords* out) override {
    out->bytes()->append(std::to_string(batch.column(0).ints()[row]));
    out->EndKey();
    out->bytes()->append(std::to_string(batch.column(1).ints()[row]));
    out->EndRecord(batch.kind(row));
  }
  Result<std::unique_ptr<SinkConnection>> Connect() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (s_->refuse) return Status::IoError("connection refused");
    return std::unique_ptr<SinkConnection>(std::make_unique<TestConnection>(s_));
  }
  std::string where() const override { return "test://store"; }
  bool keyed() const override { return true; }

 private:
  Shared* s_;
};

Schema KV() { return Schema({{"k", DataType::Bigint()}, {"v", DataType::Bigint()}}); }

// Pushes rows (k, v) for v in [from, to), key v % keys, and runs the staged work as an entry
// point does once processing returns.
void Push(RuntimeSink& sink, int64_t from, int64_t to, int64_t keys = 1000000) {
  Batch b(KV());
  for (int64_t v = from; v < to; ++v) {
    size_t r = b.AddRow(0);
    b.column(0).SetInt(r, v % keys);
    b.column(1).SetInt(r, v);
  }
  sink.Push(b);
  exec::RunStagedWork();
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

size_t WrittenCount(Shared& s) {
  std::lock_guard<std::mutex> lock(s.mu);
  return s.written.size();
}

std::unique_ptr<RuntimeSink> Make(Shared* s, SinkRuntimeOptions o) {
  auto sink = std::make_unique<RuntimeSink>("Out", std::make_unique<TestStore>(s), o);
  EXPECT_TRUE(sink->Open().ok());
  return sink;
}

TEST(SinkRuntimeTest, WritesInBatchesOfBatchSizeInOrder) {
  Shared s;
  SinkRuntimeOptions o;
  o.batch_size = 10;
  o.batch_timeout_ms = 10'000;  // only full batches, until Close flushes the rest
  auto sink = Make(&s, o);
  Push(*sink, 0, 25);
  ASSERT_TRUE(WaitFor([&] { return WrittenCount(s) == 20; }));
  ASSERT_TRUE(sink->Close().ok());
  ASSERT_EQ(s.written.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(s.written[i].second, std::to_string(i));
  EXPECT_EQ(s.batch_sizes, (std::vector<size_t>{10, 10, 5}));
  SinkStats st = sink->Stats();
  EXPECT_EQ(st.written, 25u);
  EXPECT_EQ(st.batches, 3u);
  EXPECT_EQ(st.breaker, "closed");
}

TEST(SinkRuntimeTest, APartialBatchGoesAfterTheBatchTimeout) {
  Shared s;
  SinkRuntimeOptions o;
  o.batch_size = 100;
  o.batch_timeout_ms = 20;
  auto sink = Make(&s, o);
  Push(*sink, 0, 5);
  ASSERT_TRUE(WaitFor([&] { return WrittenCount(s) == 5; }));
  EXPECT_EQ(s.batch_sizes, (std::vector<size_t>{5}));
  EXPECT_TRUE(sink->Close().ok());
}

TEST(SinkRuntimeTest, WorkersKeepEachKeysOrder) {
  Shared s;
  SinkRuntimeOptions o;
  o.workers = 4;
  o.batch_size = 7;
  o.batch_timeout_ms = 1;
  auto sink = Make(&s, o);
  for (int64_t from = 0; from < 4000; from += 100) Push(*sink, from, from + 100, /*keys=*/13);
  ASSERT_TRUE(sink->Close().ok());
  ASSERT_EQ(s.written.size(), 4000u);
  std::map<std::string, int64_t> last;
  for (const auto& [key, value] : s.written) {
    int64_t v = std::stoll(value);
    auto it = last.find(key);
    if (it != last.end()) {
      EXPECT_LT(it->second, v) << "key " << key;
    }
    last[key] = v;
  }
  EXPECT_EQ(last.size(), 13u);
}

TEST(SinkRuntimeTest, RetriesOpenTheBreakerAndAProbeClosesIt) {
  Shared s;
  s.down = true;
  SinkRuntimeOptions o;
  o.batch_size = 5;
  o.batch_timeout_ms = 1;
  o.backoff_initial_ms = 1;
  o.backoff_max_ms = 4;
  o.breaker_threshold = 3;
  o.breaker_timeout_ms = 50;
  auto sink = Make(&s, o);
  Push(*sink, 0, 20);
  ASSERT_TRUE(WaitFor([&] { return sink->Stats().breaker == "open"; }));
  EXPECT_EQ(WrittenCount(s), 0u);
  EXPECT_NE(sink->Stats().last_error.find("the store is down"), std::string::npos);
  s.Set(&Shared::down, false);
  ASSERT_TRUE(WaitFor([&] { return WrittenCount(s) == 20; }));
  ASSERT_TRUE(sink->Close().ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.written[i].second, std::to_string(i));
  SinkStats st = sink->Stats();
  EXPECT_EQ(st.breaker, "closed");
  EXPECT_GE(st.breaker_opened, 1u);
  EXPECT_GE(st.retried, 3u);
  EXPECT_EQ(st.written, 20u);
  EXPECT_EQ(st.failed + st.dropped + st.left, 0u);
}

TEST(SinkRuntimeTest, AStoreThatCannotBeReachedFailsOpen) {
  Shared s;
  s.refuse = true;
  RuntimeSink sink("Out", std::make_unique<TestStore>(&s), SinkRuntimeOptions{});
  Status st = sink.Open();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("connection refused"), std::string::npos) << st.message();
}

TEST(SinkRuntimeTest, SpentRetriesFailTheSinkAndCountTheEvents) {
  Shared s;
  SinkRuntimeOptions o;
  o.batch_size = 4;
  o.batch_timeout_ms = 1;
  o.backoff_initial_ms = 1;
  o.retry_max = 2;
  auto sink = Make(&s, o);
  Status failure;
  std::mutex mu;
  sink->SetFailureHandler([&](const Status& st) {
    std::lock_guard<std::mutex> lock(mu);
    failure = st;
  });
  s.Set(&Shared::down, true);
  Push(*sink, 0, 4);
  ASSERT_TRUE(WaitFor([&] { return !sink->status().ok(); }));
  EXPECT_FALSE(sink->Close().ok());
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(failure.message().find("failed 3 time(s)"), std::string::npos) << failure.message();
  EXPECT_EQ(sink->Stats().failed, 4u);
  EXPECT_EQ(sink->Stats().retried, 2u);
}

TEST(SinkRuntimeTest, DropModeCountsWhatDoesNotFit) {
  Shared s;
  s.hold = true;
  SinkRuntimeOptions o;
  o.queue_size = 5;
  o.batch_size = 1;
  o.batch_timeout_ms = 0;
  o.drop_when_full = true;
  auto sink = Make(&s, o);
  Push(*sink, 0, 1);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(s.mu);
    return s.holding == 1;  // the worker writes row 0 and waits
  }));
  Push(*sink, 1, 21);  // 5 fit in the queue, 15 are dropped
  EXPECT_EQ(sink->Stats().dropped, 15u);
  s.Set(&Shared::hold, false);
  ASSERT_TRUE(sink->Close().ok());
  SinkStats st = sink->Stats();
  EXPECT_EQ(st.written, 6u);
  EXPECT_EQ(st.written + st.dropped, 21u);
}

TEST(SinkRuntimeTest, BlockModeHoldsThePusherUntilThereIsRoom) {
  Shared s;
  s.hold = true;
  SinkRuntimeOptions o;
  o.queue_size = 5;
  o.batch_size = 1;
  o.batch_timeout_ms = 0;
  auto sink = Make(&s, o);
  std::atomic<int> pushed{0};
  std::thread pusher([&] {
    for (int v = 0; v < 20; ++v) {
      Push(*sink, v, v + 1);
      pushed.fetch_add(1);
    }
  });
  ASSERT_TRUE(WaitFor([&] { return pushed.load() >= 5; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_LT(pushed.load(), 20);  // waiting for room: backpressure
  EXPECT_EQ(sink->Stats().dropped, 0u);
  s.Set(&Shared::hold, false);
  pusher.join();
  ASSERT_TRUE(sink->Close().ok());
  ASSERT_EQ(s.written.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.written[i].second, std::to_string(i));
}

TEST(SinkRuntimeTest, CommitReturnsOnceEverythingQueuedIsWritten) {
  Shared s;
  SinkRuntimeOptions o;
  o.batch_size = 1000;
  o.batch_timeout_ms = 60'000;  // only a flush writes these
  auto sink = Make(&s, o);
  Push(*sink, 0, 30);
  Result<std::string> position = sink->Commit();
  ASSERT_TRUE(position.ok()) << position.status().message();
  EXPECT_EQ(WrittenCount(s), 30u);
  EXPECT_TRUE(sink->Close().ok());
}

TEST(SinkRuntimeTest, AShutdownWithTheStoreDownCountsWhatIsLeft) {
  Shared s;
  s.down = true;
  SinkRuntimeOptions o;
  o.batch_size = 10;
  o.batch_timeout_ms = 1;
  o.backoff_initial_ms = 5;
  auto sink = Make(&s, o);
  Push(*sink, 0, 35);
  sink->GiveUpAt(std::chrono::steady_clock::now() + 100ms);
  Status st = sink->Close();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("35 event(s) were not written"), std::string::npos) << st.message();
  EXPECT_EQ(sink->Stats().left, 35u);
  EXPECT_EQ(sink->Stats().written, 0u);
}

}  // namespace
}  // namespace sluice::connectors
