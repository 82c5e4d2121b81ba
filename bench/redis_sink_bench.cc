#include "redis_sink_bench.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sluice/engine.h"
#include "tests/redis_server.h"

namespace sluice::bench {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Print(bool json, const std::string& name, double eps, uint64_t round_trips, uint64_t rows) {
  if (json) {
    std::printf("{\"workload\":\"%s\",\"rows\":%llu,\"eps\":%.0f,\"round_trips\":%llu}\n",
                name.c_str(), static_cast<unsigned long long>(rows), eps,
                static_cast<unsigned long long>(round_trips));
  } else {
    std::printf("%-28s %10.0f rows/s  %8llu round trips for %llu rows\n", name.c_str(), eps,
                static_cast<unsigned long long>(round_trips),
                static_cast<unsigned long long>(rows));
  }
  std::fflush(stdout);
}

// `rows` SETs through a Redis sink with 'batch.size' = `batch`: from the first send until the
// shutdown has drained the sink. Rows per second; the sink's batches are its round trips.
double ThroughTheSink(const std::string& url, size_t rows, int batch, uint64_t* round_trips) {
  std::string text =
      "CREATE STREAM S (id BIGINT, v BIGINT);\n"
      "CREATE STREAM Out (id BIGINT, v BIGINT) WITH ('type'='sink', 'connector'='redis', "
      "'url'='" +
      url + "', 'key'='k:{id}', 'batch.size'='" + std::to_string(batch) +
      "', 'queue.size'='10000');\n"
      "INSERT INTO Out SELECT * FROM S;\n";
  AppOptions opts;
  opts.start_connectors = true;
  opts.shutdown_timeout_ms = 600'000;  // the drain is part of the measurement
  auto app = AppRuntime::Load(text, opts);
  if (!app.ok() || !(*app)->Start().ok()) {
    std::fprintf(stderr, "redis sink: %s\n",
                 app.ok() ? "did not start" : app.status().message().c_str());
    return 0;
  }
  InputHandler* in = (*app)->GetInputHandler("S");
  Batch b(in->schema());
  auto start = Clock::now();
  for (size_t from = 0; from < rows; from += 1024) {
    size_t n = std::min<size_t>(1024, rows - from);
    b.Resize(n);
    for (size_t r = 0; r < n; ++r) {
      b.column(0).SetInt(r, static_cast<int64_t>(from + r));
      b.column(1).SetInt(r, static_cast<int64_t>(r));
    }
    in->SendBatch(b);
  }
  if (!(*app)->Shutdown().ok()) return 0;
  double eps = static_cast<double>(rows) / Seconds(start);
  AppStats stats = (*app)->Stats();
  *round_trips = stats.sinks.empty() ? 0 : stats.sinks[0].batches;
  if (stats.sinks.empty() || stats.sinks[0].written != rows) return 0;
  return eps;
}

// The same SETs by hand: hiredis, pipelined `batch` at a time, the values formatted as the sink
// formats them.
double ByHand(int port, size_t rows, size_t batch, uint64_t* round_trips) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) return 0;
  std::string key, value;
  auto start = Clock::now();
  *round_trips = 0;
  for (size_t from = 0; from < rows; from += batch) {
    size_t n = std::min(batch, rows - from);
    for (size_t i = 0; i < n; ++i) {
      key = "k:" + std::to_string(from + i);
      value = "{\"id\":" + std::to_string(from + i) + ",\"v\":" + std::to_string(i % 1024) + "}";
      const char* argv[] = {"SET", key.data(), value.data()};
      size_t lens[] = {3, key.size(), value.size()};
      redisAppendCommandArgv(c, 3, argv, lens);
    }
    for (size_t i = 0; i < n; ++i) {
      void* reply = nullptr;
      if (redisGetReply(c, &reply) != REDIS_OK) {
        redisFree(c);
        return 0;
      }
      freeReplyObject(reply);
    }
    ++*round_trips;
  }
  double eps = static_cast<double>(rows) / Seconds(start);
  redisFree(c);
  return eps;
}

}  // namespace

int RunRedisSinkBenchmarks(bool quick, bool json) {
  testing::RedisServer redis(/*durable=*/false);
  std::string why = redis.Start();
  if (!why.empty()) {
    std::printf("%-28s skipped: %s\n", "redis_sink", why.c_str());
    return 0;
  }
  size_t rows = quick ? 100'000 : 500'000;
  int rc = 0;
  uint64_t trips = 0;
  double by_hand = ByHand(redis.port(), rows, 100, &trips);
  Print(json, "redis_baseline_hiredis_100", by_hand, trips, rows);
  redis.Command({"FLUSHALL"});
  double pipelined = ThroughTheSink(redis.url(), rows, 100, &trips);
  Print(json, "redis_sink_pipelined_100", pipelined, trips, rows);
  redis.Command({"FLUSHALL"});
  double seed = ThroughTheSink(redis.url(), rows, 10, &trips);
  Print(json, "redis_sink_pipelined_10", seed, trips, rows);
  redis.Command({"FLUSHALL"});
  size_t per_row_rows = rows / 5;  // one round trip each: slow
  double per_row = ThroughTheSink(redis.url(), per_row_rows, 1, &trips);
  Print(json, "redis_sink_per_row", per_row, trips, per_row_rows);
  if (pipelined == 0 || seed == 0 || per_row == 0 || by_hand == 0) rc = 1;
  if (!json && per_row > 0)
    std::printf(
        "%-28s pipelined 100: %.1fx, pipelined 10: %.1fx the rows/s of one command per "
        "round trip; the sink runs at %.2fx the hand-written loop\n",
        "redis_sink_factor", pipelined / per_row, seed / per_row,
        by_hand > 0 ? pipelined / by_hand : 0.0);
  return rc;
}

}  // namespace sluice::bench
