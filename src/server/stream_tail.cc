#include "server/stream_tail.h"

#include <algorithm>

#include "common/format.h"
#include "server/api_json.h"

namespace sluice::server {

void TailBuffer::Add(const OutputBatch& out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t r = 0; r < out.batch->num_rows(); ++r) {
    if (limit_ > 0 && taken_ >= limit_) break;
    if (lines_.size() >= capacity_) {
      skipped_ += out.batch->num_rows() - r;
      break;
    }
    std::string line;
    AppendRowJson(&line, *out.schema, *out.batch, r);
    lines_.push_back(std::move(line));
    ++taken_;
  }
  cv_.notify_one();
}

uint64_t TailBuffer::Take(std::chrono::milliseconds wait, std::vector<std::string>* lines) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [&] { return !lines_.empty() || skipped_ > 0; });
  while (!lines_.empty()) {
    lines->push_back(std::move(lines_.front()));
    lines_.pop_front();
  }
  uint64_t skipped = skipped_;
  skipped_ = 0;
  return skipped;
}

bool TailBuffer::Ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_ > 0 && taken_ >= limit_ && lines_.empty();
}

FaultLog::FaultLog(AppRuntime* app, size_t per_stream) : per_stream_(per_stream) {
  for (const StreamInfo& s : app->Describe().streams) {
    if (s.kind != "fault") continue;
    std::string name = s.name;
    auto tap = app->Tap(name, [this, name](const OutputBatch& out) {
      std::lock_guard<std::mutex> lock(mu_);
      std::deque<Entry>& newest = newest_[name];
      for (size_t r = 0; r < out.batch->num_rows(); ++r) {
        Entry e{name, ++seq_, ""};
        AppendRowJson(&e.json, *out.schema, *out.batch, r);
        newest.push_back(std::move(e));
        if (newest.size() > per_stream_) newest.pop_front();
      }
    });
    if (tap.ok()) taps_.push_back(std::move(tap).value());
  }
}

std::string FaultLog::Json(size_t limit) const {
  std::vector<const Entry*> all;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [stream, entries] : newest_)
    for (const Entry& e : entries) all.push_back(&e);
  std::sort(all.begin(), all.end(), [](const Entry* a, const Entry* b) { return a->seq > b->seq; });
  if (all.size() > limit) all.resize(limit);
  std::string out = "{\"faults\":[";
  for (size_t i = 0; i < all.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"stream\":";
    AppendJsonString(&out, all[i]->stream);
    out.push_back(',');
    out += all[i]->json.substr(1);  // {"ts":...} without its brace
  }
  out += "]}\n";
  return out;
}

}  // namespace sluice::server
