#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "connectors/connector.h"

namespace sluice::connectors {
namespace {

// A sink whose write blocks until the test lets it go, as a full broker queue or a slow pipe does.
class GatedSink final : public StagedSink {
 public:
  std::string where() const override { return "gate"; }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void WaitUntilWriting() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return writing_; });
  }
  std::string out() {
    std::lock_guard<std::mutex> lock(mu_);
    return out_;
  }

 private:
  bool Encode(const Batch& b, size_t row, std::string* out) override {
    *out += std::to_string(b.column(0).ints()[row]) + ";";
    return true;
  }
  Status Write(std::string_view bytes, const std::vector<uint32_t>&) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    out_.append(bytes);
    return Status::OK();
  }
  Status CloseOutput() override { return Status::OK(); }

  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false, writing_ = false;
  std::string out_;
};

Batch Rows(std::initializer_list<int64_t> values) {
  Batch b(Schema({{"v", DataType::Bigint()}}));
  for (int64_t v : values) b.column(0).SetInt(b.AddRow(0), v);
  return b;
}

// The Kafka sink used to wait for queue space inside Push, under every upstream operator's lock.
TEST(StagedSinkTest, PushNeverWaitsForABlockedWrite) {
  GatedSink sink;
  std::thread writer([&] {
    sink.Push(Rows({1, 2}));
    exec::RunStagedWork();  // blocks in Write until the gate opens
  });
  sink.WaitUntilWriting();
  // Another thread, as an operator holding its lock would: Push returns while the write waits.
  sink.Push(Rows({3}));
  sink.Open();
  writer.join();
  exec::RunStagedWork();
  EXPECT_EQ(sink.out(), "1;2;3;");
  EXPECT_EQ(sink.written(), 3u);
  EXPECT_TRUE(sink.Close().ok());
}

}  // namespace
}  // namespace sluice::connectors
