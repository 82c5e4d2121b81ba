#include "redis_sink_bench.h"

#include <atomic>
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

// `keys` rows u:<id> = {"id":<id>,"name":"n<id>"}, pipelined.
bool Populate(int port, size_t keys) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) return false;
  std::string key, value;
  for (size_t i = 0; i < keys; ++i) {
    key = "u:" + std::to_string(i);
    value = "{\"id\":" + std::to_string(i) + ",\"name\":\"n" + std::to_string(i) + "\"}";
    const char* argv[] = {"SET", key.data(), value.data()};
    size_t lens[] = {3, key.size(), value.size()};
    redisAppendCommandArgv(c, 3, argv, lens);
  }
  bool ok = true;
  for (size_t i = 0; i < keys && ok; ++i) {
    void* reply = nullptr;
    ok = redisGetReply(c, &reply) == REDIS_OK;
    if (reply) freeReplyObject(reply);
  }
  redisFree(c);
  return ok;
}

// The event of row `i`: which user it looks up (a spread that repeats: 1 in 7 keys hot).
int64_t UserOf(size_t i, size_t keys) {
  return static_cast<int64_t>((i * 2654435761u) % keys) / (i % 7 == 0 ? 1 : 7);
}

// `events` events joined with a table that lives in Redis ('cache.size' = `cache`), sent in
// batches of 1024: events per second, from the first send until every joined row is out.
double ThroughTheJoin(const std::string& url, size_t events, size_t keys, const std::string& cache,
                      uint64_t* round_trips) {
  std::string text =
      "CREATE TABLE Users (id BIGINT PRIMARY KEY, name STRING) WITH ('connector'='redis', "
      "'url'='" +
      url + "', 'key'='u:{id}', 'cache.size'='" + cache +
      "');\n"
      "CREATE STREAM S (id BIGINT, v BIGINT);\n"
      "CREATE STREAM Out (id BIGINT, name STRING);\n"
      "INSERT INTO Out SELECT s.id, u.name FROM S AS s JOIN Users AS u ON s.id = u.id;\n";
  AppOptions opts;
  opts.start_connectors = true;
  auto app = AppRuntime::Load(text, opts);
  std::atomic<uint64_t> out{0};
  if (app.ok())
    (void)(*app)->AddOutputCallback([&](const OutputBatch& o) {
      if (o.stream == "Out") out.fetch_add(o.batch->num_rows());
    });
  if (!app.ok() || !(*app)->Start().ok()) {
    std::fprintf(stderr, "redis table: %s\n",
                 app.ok() ? "did not start" : app.status().message().c_str());
    return 0;
  }
  InputHandler* in = (*app)->GetInputHandler("S");
  Batch b(in->schema());
  auto start = Clock::now();
  for (size_t from = 0; from < events; from += 1024) {
    size_t n = std::min<size_t>(1024, events - from);
    b.Resize(n);
    for (size_t r = 0; r < n; ++r) {
      b.column(0).SetInt(r, UserOf(from + r, keys));
      b.column(1).SetInt(r, static_cast<int64_t>(r));
    }
    in->SendBatch(b);
  }
  double eps = static_cast<double>(events) / Seconds(start);
  AppStats stats = (*app)->Stats();
  *round_trips = stats.store_tables.empty() ? 0 : stats.store_tables[0].lookups;
  if (!(*app)->Shutdown().ok() || out.load() != events) return 0;
  return eps;
}

// The same lookups by hand: per batch of 1024 events, one pipelined GET per distinct key (or,
// `per_row`, one GET and its round trip per event), each value's name found in its JSON.
double LookupsByHand(int port, size_t events, size_t keys, bool per_row, uint64_t* round_trips) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) return 0;
  std::vector<std::string> batch_keys;
  std::vector<int64_t> seen(keys, -1);
  uint64_t names = 0;
  *round_trips = 0;
  auto start = Clock::now();
  auto get = [&](const std::string& key) {
    const char* argv[] = {"GET", key.data()};
    size_t lens[] = {3, key.size()};
    redisAppendCommandArgv(c, 2, argv, lens);
  };
  auto read = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) return false;
      auto* reply = static_cast<redisReply*>(raw);
      std::string_view v(reply->str, reply->len);
      names += v.find("\"name\"") != std::string_view::npos;
      freeReplyObject(reply);
    }
    ++*round_trips;
    return true;
  };
  for (size_t from = 0; from < events; from += 1024) {
    size_t n = std::min<size_t>(1024, events - from);
    batch_keys.clear();
    for (size_t r = 0; r < n; ++r) {
      int64_t user = UserOf(from + r, keys);
      std::string key = "u:" + std::to_string(user);
      if (per_row) {
        get(key);
        if (!read(1)) return 0;
        continue;
      }
      if (seen[static_cast<size_t>(user)] == static_cast<int64_t>(from)) continue;
      seen[static_cast<size_t>(user)] = static_cast<int64_t>(from);
      get(key);
      batch_keys.push_back(std::move(key));
    }
    if (!per_row && !read(batch_keys.size())) return 0;
  }
  double eps = static_cast<double>(events) / Seconds(start);
  redisFree(c);
  return names > 0 ? eps : 0;
}

}  // namespace

int RunRedisTableBenchmarks(bool quick, bool json) {
  testing::RedisServer redis(/*durable=*/false);
  std::string why = redis.Start();
  if (!why.empty()) {
    std::printf("%-28s skipped: %s\n", "redis_table", why.c_str());
    return 0;
  }
  size_t events = quick ? 100'000 : 500'000, keys = 100'000;
  if (!Populate(redis.port(), keys)) return 1;
  uint64_t trips = 0;
  double by_hand = LookupsByHand(redis.port(), events, keys, false, &trips);
  Print(json, "redis_baseline_lookup_batch", by_hand, trips, events);
  double per_row = LookupsByHand(redis.port(), events / 5, keys, true, &trips);
  Print(json, "redis_baseline_lookup_per_row", per_row, trips, events / 5);
  double uncached = ThroughTheJoin(redis.url(), events, keys, "0", &trips);
  Print(json, "redis_table_join_uncached", uncached, trips, events);
  double cached = ThroughTheJoin(redis.url(), events, keys, "200000", &trips);
  Print(json, "redis_table_join_cached", cached, trips, events);
  if (!json && by_hand > 0 && per_row > 0)
    std::printf(
        "%-28s a lookup per batch: %.1fx the events/s of one per event (by hand); the join "
        "runs at %.2fx the hand-written batch loop uncached, %.2fx with its cache\n",
        "redis_table_factor", by_hand / per_row, uncached / by_hand, cached / by_hand);
  return by_hand == 0 || per_row == 0 || uncached == 0 || cached == 0 ? 1 : 0;
}

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
