// What the server keeps of streams for its clients: a live tail of one stream for one client
// (GET /api/streams/{name}/events), and the newest events of every fault stream (GET
// /api/faults). Both are fed by taps (AppRuntime::Tap) on the thread that processes a batch, so
// they copy rows as JSON and return: a client that reads slower than the stream flows gets a
// sample, with the number of events it missed, and the stream never waits for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/engine.h"

namespace sluice::server {

class TailBuffer {
 public:
  // Holds at most `capacity` events not yet read; ends after `limit` events (0: never).
  TailBuffer(size_t capacity, uint64_t limit) : capacity_(capacity), limit_(limit) {}

  // From the tap: every row of `out`, or as many as fit.
  void Add(const OutputBatch& out);
  // Waits up to `wait` for events, then moves each one's JSON line ({"ts":..,"op":..,"data":..})
  // into *lines and returns how many events were skipped since the last call.
  uint64_t Take(std::chrono::milliseconds wait, std::vector<std::string>* lines);
  // Whether `limit` events have been given.
  bool Ended() const;
  // Wakes a Take that waits (the server stops).
  void Wake() { cv_.notify_all(); }

 private:
  const size_t capacity_;
  const uint64_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  uint64_t skipped_ = 0;
  uint64_t taken_ = 0;  // events added, up to limit_
};

class FaultLog {
 public:
  // Keeps the newest `per_stream` events of each fault stream of `app`, from now on.
  FaultLog(AppRuntime* app, size_t per_stream);
  // {"faults":[{"stream":"!S","ts":..,"op":..,"data":{...}}, ...]}, newest first, at most `limit`.
  std::string Json(size_t limit) const;

 private:
  struct Entry {
    std::string stream;
    uint64_t seq = 0;
    std::string json;  // the row, as AppendRowJson writes it
  };
  const size_t per_stream_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Entry>> newest_;
  uint64_t seq_ = 0;
  std::vector<std::unique_ptr<StreamTap>> taps_;  // last: they go first
};

}  // namespace sluice::server
