// sluice-bench: every workload runs through the engine's public API and, in the same process, as
// a straightforward hand-written C++ loop over the same data (columns in std::vectors, no engine).
// Both must produce the same output count and checksum, or the run fails: a benchmark that
// computes something else is a bug. Prints events/s, batch latency percentiles, the ratio
// engine/baseline (the number we steer by: it holds on a noisy machine) and peak RSS.
//
//   sluice-bench [--quick] [--json] [--save] [--only NAME]
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "absl/container/flat_hash_map.h"
#include "checkpoint_bench.h"
#include "common/format.h"
#include "http_source_bench.h"
#include "redis_sink_bench.h"
#include "server/http_server.h"
#include "sluice/engine.h"
#include "table_load_bench.h"

namespace {

using Clock = std::chrono::steady_clock;

// Synthetic trades: symbol from 100 values, price uniform 0..200, volume, ts 1 ms apart.
struct Trades {
  std::vector<std::string> names;
  std::vector<uint32_t> symbol;
  std::vector<double> price;
  std::vector<int64_t> volume;
  std::vector<int64_t> ts;
  std::vector<int64_t> key;  // for the many-keys workload
  size_t size() const { return price.size(); }
};

Trades MakeTrades(size_t n, uint64_t seed, int64_t distinct_keys) {
  Trades t;
  for (int i = 0; i < 100; ++i) t.names.push_back("SYM" + std::to_string(i));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> price(0, 200);
  std::uniform_int_distribution<int64_t> volume(1, 1000);
  std::uniform_int_distribution<uint32_t> sym(0, 99);
  std::uniform_int_distribution<int64_t> key(0, distinct_keys - 1);
  t.symbol.resize(n), t.price.resize(n), t.volume.resize(n), t.ts.resize(n), t.key.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.symbol[i] = sym(rng);
    t.price[i] = std::round(price(rng) * 100) / 100;
    t.volume[i] = volume(rng);
    t.ts[i] = static_cast<int64_t>(i);
    t.key[i] = key(rng);
  }
  return t;
}

struct Outcome {
  uint64_t count = 0;
  double checksum = 0;
};

struct Measurement {
  double seconds = 0;
  Outcome outcome;
  std::vector<double> latency_us;  // per batch sent
  double p99_override = -1;        // a p99 measured elsewhere (async: the stream's histogram)
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

template <typename F>
Measurement TimeBaseline(F body) {
  Measurement m;
  auto start = Clock::now();
  m.outcome = body();
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return m;
}

std::unique_ptr<sluice::AppRuntime> Load(const std::string& app, bool playback = false) {
  sluice::AppOptions opts;
  opts.playback = playback;
  auto r = sluice::AppRuntime::Load(app, opts);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().message().c_str());
    std::exit(2);
  }
  return std::move(r).value();
}

// Columns: symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT [, key BIGINT].
std::vector<sluice::Batch> MakeBatches(const Trades& t, const sluice::Schema& schema,
                                       size_t batch_size) {
  std::vector<sluice::Batch> batches;
  for (size_t start = 0; start < t.size(); start += batch_size) {
    size_t n = std::min(batch_size, t.size() - start);
    sluice::Batch b(schema);
    b.Resize(n);
    for (size_t k = 0; k < n; ++k) {
      size_t i = start + k;
      b.timestamps()[k] = t.ts[i];
      const std::string& s = t.names[t.symbol[i]];
      b.column(0).SetString(k, sluice::StringRef{s.data(), static_cast<uint32_t>(s.size())});
      b.column(1).SetDouble(k, t.price[i]);
      b.column(2).SetInt(k, t.volume[i]);
      b.column(3).SetInt(k, t.ts[i]);
      if (schema.size() > 4) b.column(4).SetInt(k, t.key[i]);
    }
    batches.push_back(std::move(b));
  }
  return batches;
}

// Sends prepared batches (built before timing) and times them.
Measurement RunEngine(sluice::AppRuntime* app, const std::vector<sluice::Batch>& batches,
                      bool flush_at_end, int64_t end_time) {
  Measurement m;
  sluice::InputHandler* in = app->GetInputHandler("Trades");
  m.latency_us.reserve(batches.size());
  auto start = Clock::now();
  for (const sluice::Batch& b : batches) {
    auto s = Clock::now();
    if (!in->SendBatch(b).ok()) std::exit(2);
    m.latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
  }
  if (flush_at_end) app->AdvanceTime(end_time);
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return m;
}

// Sends every trade as its own event through one reused one-row batch (its stores are inside the
// timing); latency is sampled every 1,024 events.
Measurement RunEngineSingle(sluice::AppRuntime* app, const Trades& t, bool flush_at_end,
                            int64_t end_time) {
  Measurement m;
  sluice::InputHandler* in = app->GetInputHandler("Trades");
  sluice::Batch b(in->schema());
  b.Resize(1);
  bool keyed = in->schema().size() > 4;
  auto start = Clock::now();
  for (size_t i = 0; i < t.size(); ++i) {
    auto s = Clock::now();
    const std::string& sym = t.names[t.symbol[i]];
    b.timestamps()[0] = t.ts[i];
    b.column(0).SetString(0, sluice::StringRef{sym.data(), static_cast<uint32_t>(sym.size())});
    b.column(1).SetDouble(0, t.price[i]);
    b.column(2).SetInt(0, t.volume[i]);
    b.column(3).SetInt(0, t.ts[i]);
    if (keyed) b.column(4).SetInt(0, t.key[i]);
    if (!in->SendBatch(b).ok()) std::exit(2);
    if ((i & 1023) == 0)
      m.latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
  }
  if (flush_at_end) app->AdvanceTime(end_time);
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return m;
}

const char* kTrades =
    "CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT);\n";
const char* kTradesKeyed =
    "CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT, key BIGINT);\n";

// "SYM42" -> 42, reading only the string's own bytes (StringRefs are not NUL-terminated).
int SymbolIndex(sluice::StringRef s) {
  int v = 0;
  for (uint32_t i = 3; i < s.size; ++i) v = v * 10 + (s.data[i] - '0');
  return v;
}

// ---- filter_project
// ------------------------------------------------------------------------------

Outcome FilterProjectBaseline(const Trades& t) {
  Outcome o;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.price[i] > 100) {
      ++o.count;
      o.checksum += t.price[i] * static_cast<double>(t.volume[i]) + t.symbol[i];
    }
  }
  return o;
}

// `serve`: with the HTTP server up and nobody connected (it must cost the events nothing).
Measurement FilterProjectEngine(const Trades& t, size_t batch_size, bool serve = false) {
  auto app = Load(std::string(kTrades) +
                  "INSERT INTO Out SELECT symbol, price * volume AS notional FROM Trades "
                  "WHERE price > 100;");
  std::unique_ptr<sluice::server::HttpServer> server;
  if (serve) {
    auto started = sluice::server::HttpServer::Start(app.get(), {});
    if (!started.ok()) std::exit(2);
    server = std::move(started).value();
    // Its threads start and its first sample of the counters is taken before the timing.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Column& sym = out.batch->column(0);
    const sluice::Column& notional = out.batch->column(1);
    for (size_t r = 0; r < out.batch->num_rows(); ++r) {
      ++o.count;
      o.checksum += notional.doubles()[r] + SymbolIndex(sym.strings()[r]);
    }
  });
  if (batch_size == 1) {
    // One event at a time through one reused batch (its three stores are inside the timing).
    Measurement m;
    sluice::InputHandler* in = app->GetInputHandler("Trades");
    sluice::Batch b(in->schema());
    b.Resize(1);
    m.latency_us.reserve(t.size());
    auto start = Clock::now();
    for (size_t i = 0; i < t.size(); ++i) {
      auto s = Clock::now();
      const std::string& sym = t.names[t.symbol[i]];
      b.timestamps()[0] = t.ts[i];
      b.column(0).SetString(0, sluice::StringRef{sym.data(), static_cast<uint32_t>(sym.size())});
      b.column(1).SetDouble(0, t.price[i]);
      b.column(2).SetInt(0, t.volume[i]);
      b.column(3).SetInt(0, t.ts[i]);
      if (!in->SendBatch(b).ok()) std::exit(2);
      if ((i & 1023) == 0)  // sampled: reading the clock per event would dominate
        m.latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
    }
    m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    m.outcome = o;
    return m;
  }
  auto batches = MakeBatches(t, app->GetInputHandler("Trades")->schema(), batch_size);
  Measurement m = RunEngine(app.get(), batches, false, 0);
  m.outcome = o;
  return m;
}

// ---- length_window_avg -----------------------------------------------------------------------

Outcome LengthWindowBaseline(const Trades& t, size_t w) {
  Outcome o;
  std::vector<double> ring(w);
  double sum = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i >= w) sum -= ring[i % w];
    ring[i % w] = t.price[i];
    sum += t.price[i];
    ++o.count;
    o.checksum += sum / static_cast<double>(std::min(i + 1, w));
  }
  return o;
}

Measurement LengthWindowEngine(const Trades& t, size_t w, bool single = false) {
  auto app = Load(std::string(kTrades) +
                  "INSERT INTO Out SELECT avg(price) AS avg_price FROM Trades WINDOW('length', " +
                  std::to_string(w) + ");");
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Column& a = out.batch->column(0);
    for (size_t r = 0; r < out.batch->num_rows(); ++r) ++o.count, o.checksum += a.doubles()[r];
  });
  Measurement m;
  if (single) {
    m = RunEngineSingle(app.get(), t, false, 0);
  } else {
    auto batches = MakeBatches(t, app->GetInputHandler("Trades")->schema(), 1024);
    m = RunEngine(app.get(), batches, false, 0);
  }
  m.outcome = o;
  return m;
}

// ---- groupby_running -------------------------------------------------------------------------

Outcome GroupByBaseline(const Trades& t) {
  Outcome o;
  std::vector<int64_t> sum(100, 0), count(100, 0);
  for (size_t i = 0; i < t.size(); ++i) {
    uint32_t s = t.symbol[i];
    sum[s] += t.volume[i];
    ++count[s];
    ++o.count;
    o.checksum += static_cast<double>(sum[s]) + static_cast<double>(count[s]) + s;
  }
  return o;
}

Measurement GroupByEngine(const Trades& t, bool single = false) {
  auto app = Load(std::string(kTrades) +
                  "INSERT INTO Out SELECT symbol, sum(volume) AS total, count() AS n FROM Trades "
                  "GROUP BY symbol;");
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Batch& b = *out.batch;
    for (size_t r = 0; r < b.num_rows(); ++r) {
      ++o.count;
      o.checksum += static_cast<double>(b.column(1).ints()[r]) +
                    static_cast<double>(b.column(2).ints()[r]) +
                    SymbolIndex(b.column(0).strings()[r]);
    }
  });
  Measurement m;
  if (single) {
    m = RunEngineSingle(app.get(), t, false, 0);
  } else {
    auto batches = MakeBatches(t, app->GetInputHandler("Trades")->schema(), 1024);
    m = RunEngine(app.get(), batches, false, 0);
  }
  m.outcome = o;
  return m;
}

Outcome GroupByKeysBaseline(const Trades& t) {
  Outcome o;
  absl::flat_hash_map<int64_t, std::pair<int64_t, int64_t>> state;
  for (size_t i = 0; i < t.size(); ++i) {
    auto& s = state[t.key[i]];
    s.first += t.volume[i];
    ++s.second;
    ++o.count;
    o.checksum += static_cast<double>(s.first) + static_cast<double>(s.second);
  }
  return o;
}

Measurement GroupByKeysEngine(const Trades& t) {
  auto app = Load(std::string(kTradesKeyed) +
                  "INSERT INTO Out SELECT key, sum(volume) AS total, count() AS n FROM Trades "
                  "GROUP BY key;");
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Batch& b = *out.batch;
    for (size_t r = 0; r < b.num_rows(); ++r) {
      ++o.count;
      o.checksum +=
          static_cast<double>(b.column(1).ints()[r]) + static_cast<double>(b.column(2).ints()[r]);
    }
  });
  auto batches = MakeBatches(t, app->GetInputHandler("Trades")->schema(), 1024);
  Measurement m = RunEngine(app.get(), batches, false, 0);
  m.outcome = o;
  return m;
}

// ---- tumbling_keyed --------------------------------------------------------------------------

Outcome TumblingBaseline(const Trades& t) {
  Outcome o;
  std::vector<double> sum(100, 0);
  std::vector<int64_t> count(100, 0);
  int64_t start = t.ts[0], window = 0;
  auto flush = [&] {
    for (int s = 0; s < 100; ++s) {
      if (count[s] == 0) continue;
      ++o.count;
      o.checksum += sum[s] / static_cast<double>(count[s]) + static_cast<double>(count[s]) + s;
      sum[s] = 0, count[s] = 0;
    }
  };
  for (size_t i = 0; i < t.size(); ++i) {
    int64_t w = (t.ts[i] - start) / 1000;
    if (w != window) flush(), window = w;
    sum[t.symbol[i]] += t.price[i];
    ++count[t.symbol[i]];
  }
  flush();
  return o;
}

Measurement TumblingEngine(const Trades& t, bool single = false) {
  auto app = Load(std::string(kTrades) +
                      "INSERT INTO Out SELECT symbol, avg(price) AS avg_price, count() AS n "
                      "FROM Trades WINDOW TUMBLING(1 SECOND) GROUP BY symbol;",
                  /*playback=*/true);
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Batch& b = *out.batch;
    for (size_t r = 0; r < b.num_rows(); ++r) {
      ++o.count;
      o.checksum += b.column(1).doubles()[r] + static_cast<double>(b.column(2).ints()[r]) +
                    SymbolIndex(b.column(0).strings()[r]);
    }
  });
  Measurement m;
  if (single) {
    m = RunEngineSingle(app.get(), t, true, t.ts.back() + 1000);
  } else {
    auto batches = MakeBatches(t, app->GetInputHandler("Trades")->schema(), 1024);
    m = RunEngine(app.get(), batches, true, t.ts.back() + 1000);
  }
  m.outcome = o;
  return m;
}

// ---- ingest_jsonl / ingest_csv ----------------------------------------------------------------

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sluice_bench_" + name)).string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Outcome FileOutcome(const std::string& path) {
  std::string text = ReadFile(path);
  Outcome o;
  o.count = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  o.checksum = static_cast<double>(std::hash<std::string>{}(text) % 1000000007ULL);
  return o;
}

void WriteInput(const Trades& t, const std::string& path, bool csv) {
  std::string out;
  out.reserve(t.size() * 64);
  for (size_t i = 0; i < t.size(); ++i) {
    if (csv) {
      out += t.names[t.symbol[i]] + ",";
      sluice::AppendDouble(&out, t.price[i], false);
      out += "," + std::to_string(t.volume[i]) + "," + std::to_string(t.ts[i]) + "\n";
    } else {
      out += "{\"symbol\":\"" + t.names[t.symbol[i]] + "\",\"price\":";
      sluice::AppendDouble(&out, t.price[i], false);
      out += ",\"volume\":" + std::to_string(t.volume[i]) + ",\"ts\":" + std::to_string(t.ts[i]) +
             "}\n";
    }
  }
  std::ofstream(path, std::ios::binary) << out;
}

// simdjson (or a hand split for CSV) plus the same filter, projection and output format.
Measurement IngestBaseline(const std::string& in_path, const std::string& out_path, bool csv) {
  auto start = Clock::now();
  std::string text = ReadFile(in_path);
  std::string out;
  out.reserve(text.size() / 2);
  auto emit = [&](std::string_view sym, double price, int64_t volume) {
    if (!(price > 100)) return;
    if (csv) {
      out.append(sym);
      out.push_back(',');
      sluice::AppendDouble(&out, price * static_cast<double>(volume), false);
      out.push_back('\n');
    } else {
      out += "{\"symbol\":";
      sluice::AppendJsonString(&out, sym);
      out += ",\"notional\":";
      sluice::AppendDouble(&out, price * static_cast<double>(volume), false);
      out += "}\n";
    }
  };
  if (csv) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view line(text.data() + pos, nl - pos);
      size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
      double price;
      int64_t volume;
      sluice::ParseDouble(line.substr(c1 + 1, c2 - c1 - 1), &price);
      sluice::ParseInt64(line.substr(c2 + 1, c3 - c2 - 1), &volume);
      emit(line.substr(0, c1), price, volume);
      pos = nl + 1;
    }
  } else {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(text);
    simdjson::ondemand::document_stream docs;
    if (parser.iterate_many(padded).get(docs)) std::exit(2);
    for (auto doc : docs) {
      std::string_view sym;
      double price;
      int64_t volume;
      if (doc["symbol"].get_string().get(sym) || doc["price"].get_double().get(price) ||
          doc["volume"].get_int64().get(volume))
        std::exit(2);
      emit(sym, price, volume);
    }
  }
  std::ofstream(out_path, std::ios::binary) << out;
  Measurement m;
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.outcome = FileOutcome(out_path);
  return m;
}

Measurement IngestEngine(const std::string& in_path, const std::string& out_path, bool csv) {
  std::string fmt = csv ? "csv" : "json";
  std::string app_text =
      "CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT) WITH ("
      "'type'='source', 'connector'='file', 'format'='" +
      fmt + "', 'path'='" + in_path +
      "');\n"
      "CREATE STREAM Out (symbol STRING, notional DOUBLE) WITH ('type'='sink', 'connector'='file', "
      "'format'='" +
      fmt + "', 'path'='" + out_path +
      "');\n"
      "INSERT INTO Out SELECT symbol, price * volume AS notional FROM Trades WHERE price > 100;";
  sluice::AppOptions opts;
  opts.start_connectors = true;
  auto loaded = sluice::AppRuntime::Load(app_text, opts);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    std::exit(2);
  }
  auto app = std::move(loaded).value();
  auto start = Clock::now();
  if (!app->Start().ok() || !app->WaitForSources().ok() || !app->Shutdown().ok()) std::exit(2);
  Measurement m;
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.outcome = FileOutcome(out_path);
  return m;
}

// ---- async_handoff ----------------------------------------------------------------------------

// The latency of the Trades async stream, from enqueue to processed (its histogram), reported as
// if per batch: the harness's percentile of one value is that value.
void TakeAsyncLatency(const sluice::AppRuntime& app, Measurement* m) {
  for (const sluice::StreamStats& st : app.Stats().streams)
    if (st.name == "Trades") {
      m->latency_us = {st.p50_us};
      m->p99_override = st.p99_us;
    }
}

// filter_project behind an @Async stream with `workers` workers. `rate` 0 sends as fast as the
// queues take it; otherwise batches are paced to `rate` events/s. The time runs until the queues
// are drained; latency is from enqueue to processed (the stream's histogram).
Measurement AsyncEngine(const Trades& t, int workers, double rate) {
  auto app = Load("@Async(buffer_size='64', workers='" + std::to_string(workers) +
                  "', batch_size_max='1024', backpressure='block')\n" + kTrades +
                  "INSERT INTO Out SELECT symbol, price * volume AS notional FROM Trades "
                  "WHERE price > 100;");
  std::mutex mu;
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Column& sym = out.batch->column(0);
    const sluice::Column& notional = out.batch->column(1);
    Outcome part;
    for (size_t r = 0; r < out.batch->num_rows(); ++r) {
      ++part.count;
      part.checksum += notional.doubles()[r] + SymbolIndex(sym.strings()[r]);
    }
    std::lock_guard<std::mutex> lock(mu);
    o.count += part.count;
    o.checksum += part.checksum;
  });
  app->Start();
  sluice::InputHandler* in = app->GetInputHandler("Trades");
  auto batches = MakeBatches(t, in->schema(), 1024);
  Measurement m;
  auto start = Clock::now();
  for (size_t i = 0; i < batches.size(); ++i) {
    if (rate > 0) {
      auto due = start + std::chrono::duration<double>(static_cast<double>(i * 1024) / rate);
      while (Clock::now() < due) {
      }
    }
    if (!in->SendBatch(batches[i]).ok()) std::exit(2);
  }
  app->Shutdown();
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  TakeAsyncLatency(*app, &m);
  m.outcome = o;
  return m;
}

// ---- async_groupby ---------------------------------------------------------------------------

// groupby_running behind an @Async stream with `workers` workers: each worker runs its own
// instance of the query over the key groups it owns. Note that on two cores the producer (which
// copies and partitions every batch) shares them with the workers.
Measurement AsyncGroupByEngine(const Trades& t, int workers) {
  auto app = Load("@Async(buffer_size='64', workers='" + std::to_string(workers) +
                  "', batch_size_max='1024', backpressure='block')\n" + kTrades +
                  "INSERT INTO Out SELECT symbol, sum(volume) AS total, count() AS n FROM Trades "
                  "GROUP BY symbol;");
  Outcome o;  // callbacks see one batch at a time
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Batch& b = *out.batch;
    for (size_t r = 0; r < b.num_rows(); ++r) {
      ++o.count;
      o.checksum += static_cast<double>(b.column(1).ints()[r]) +
                    static_cast<double>(b.column(2).ints()[r]) +
                    SymbolIndex(b.column(0).strings()[r]);
    }
  });
  app->Start();
  sluice::InputHandler* in = app->GetInputHandler("Trades");
  auto batches = MakeBatches(t, in->schema(), 1024);
  Measurement m;
  auto start = Clock::now();
  for (const sluice::Batch& b : batches)
    if (!in->SendBatch(b).ok()) std::exit(2);
  app->Shutdown();
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  TakeAsyncLatency(*app, &m);
  m.outcome = o;
  return m;
}

// ---- the harness -----------------------------------------------------------------------------

// ---- join_windowed ---------------------------------------------------------------------------
// Blocks of 1,024 trades go alternately to Trades and to Quotes; each side keeps its last 10
// events, and an arrival pairs with the other side's events of the same symbol.

constexpr size_t kJoinBlock = 1024, kJoinWindow = 10;

Outcome JoinBaseline(const Trades& t) {
  Outcome o;
  struct Held {
    uint32_t symbol;
    double price;
  };
  std::vector<Held> ring[2] = {std::vector<Held>(kJoinWindow), std::vector<Held>(kJoinWindow)};
  size_t held[2] = {0, 0};
  for (size_t i = 0; i < t.size(); ++i) {
    int side = static_cast<int>((i / kJoinBlock) % 2);
    ring[side][held[side] % kJoinWindow] = {t.symbol[i], t.price[i]};
    ++held[side];
    const std::vector<Held>& other = ring[1 - side];
    for (size_t k = 0; k < std::min(held[1 - side], kJoinWindow); ++k) {
      if (other[k].symbol != t.symbol[i]) continue;
      double trade = side == 0 ? t.price[i] : other[k].price;
      double quote = side == 0 ? other[k].price : t.price[i];
      ++o.count;
      o.checksum += trade - quote;
    }
  }
  return o;
}

Measurement JoinEngine(const Trades& t) {
  auto app =
      Load(std::string(kTrades) +
               "CREATE STREAM Quotes (symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT);\n"
               "INSERT INTO Out SELECT t.price - q.price AS diff\n"
               "FROM Trades WINDOW('length', 10) AS t JOIN Quotes WINDOW('length', 10) AS q\n"
               "ON t.symbol = q.symbol;",
           /*playback=*/true);
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Column& d = out.batch->column(0);
    for (size_t r = 0; r < out.batch->num_rows(); ++r) ++o.count, o.checksum += d.doubles()[r];
  });
  sluice::InputHandler* sides[2] = {app->GetInputHandler("Trades"), app->GetInputHandler("Quotes")};
  auto batches = MakeBatches(t, sides[0]->schema(), kJoinBlock);
  Measurement m;
  auto start = Clock::now();
  for (size_t b = 0; b < batches.size(); ++b) {
    auto s = Clock::now();
    if (!sides[b % 2]->SendBatch(batches[b]).ok()) std::exit(2);
    m.latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.outcome = o;
  return m;
}

// ---- pattern_followed_by ---------------------------------------------------------------------
// EVERY a=Trades[price > 190] -> b=Trades[same symbol, lower price] WITHIN 100 ms.

Outcome PatternBaseline(const Trades& t) {
  Outcome o;
  struct Partial {
    uint32_t symbol;
    double price;
    int64_t start;
  };
  std::vector<Partial> partials, next;
  for (size_t i = 0; i < t.size(); ++i) {
    next.clear();
    for (const Partial& p : partials) {
      if (t.ts[i] - p.start > 100) continue;  // WITHIN
      if (p.symbol == t.symbol[i] && t.price[i] < p.price) {
        ++o.count;
        o.checksum += p.price + t.price[i];
        continue;
      }
      next.push_back(p);
    }
    if (t.price[i] > 190) next.push_back({t.symbol[i], t.price[i], t.ts[i]});
    partials.swap(next);
  }
  return o;
}

Measurement PatternEngine(const Trades& t) {
  auto app = Load(std::string(kTrades) +
                      "INSERT INTO Out SELECT a.price + b.price AS sum\n"
                      "FROM PATTERN EVERY a=Trades[price > 190] -> "
                      "b=Trades[symbol == a.symbol AND price < a.price] WITHIN 100 MILLISECONDS;",
                  /*playback=*/true);
  Outcome o;
  app->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Column& d = out.batch->column(0);
    for (size_t r = 0; r < out.batch->num_rows(); ++r) ++o.count, o.checksum += d.doubles()[r];
  });
  auto batches = MakeBatches(t, app->GetInputHandler("Trades")->schema(), 1024);
  Measurement m = RunEngine(app.get(), batches, false, 0);
  m.outcome = o;
  return m;
}

struct Result {
  std::string workload;
  size_t events = 0;
  double engine_eps = 0, baseline_eps = 0, ratio = 0, p50 = 0, p99 = 0, rss = 0;
  bool ok = false;
};

}  // namespace

int main(int argc, char** argv) {
  bool json = false, quick = false, save = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json")
      json = true;
    else if (a == "--quick")
      quick = true;
    else if (a == "--save")
      save = true;
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else {
      std::fprintf(stderr, "usage: sluice-bench [--quick] [--json] [--save] [--only WORKLOAD]\n");
      return 2;
    }
  }
  // One pinned core, unless the workload says otherwise.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(0, &cpus);
  sched_setaffinity(0, sizeof cpus, &cpus);

  size_t n = quick ? 1'000'000 : 5'000'000;
  Trades trades = MakeTrades(n, 7, 100);
  Trades keyed = MakeTrades(n, 11, 1'000'000);
  std::string jsonl = TempPath("in.jsonl"), csv = TempPath("in.csv");
  if (only.empty() || only.rfind("ingest", 0) == 0) {
    WriteInput(trades, jsonl, false);
    WriteInput(trades, csv, true);
  }

  struct Workload {
    std::string name;
    std::function<Measurement()> baseline, engine;
  };
  auto base = [](std::function<Outcome()> f) { return [f] { return TimeBaseline(f); }; };
  std::vector<Workload> workloads = {
      {"filter_project", base([&] { return FilterProjectBaseline(trades); }),
       [&] { return FilterProjectEngine(trades, 1024); }},
      {"filter_project_single", base([&] { return FilterProjectBaseline(trades); }),
       [&] { return FilterProjectEngine(trades, 1); }},
      // The same two with the HTTP server up and no client: the server costs the events nothing.
      {"filter_project_http", base([&] { return FilterProjectBaseline(trades); }),
       [&] { return FilterProjectEngine(trades, 1024, true); }},
      {"filter_project_single_http", base([&] { return FilterProjectBaseline(trades); }),
       [&] { return FilterProjectEngine(trades, 1, true); }},
      {"length_window_avg", base([&] { return LengthWindowBaseline(trades, 100); }),
       [&] { return LengthWindowEngine(trades, 100); }},
  };
  for (size_t w : {10, 1000, 100000})
    workloads.push_back({"length_window_scaling_" + std::to_string(w),
                         base([&, w] { return LengthWindowBaseline(trades, w); }),
                         [&, w] { return LengthWindowEngine(trades, w); }});
  workloads.push_back({"groupby_running", base([&] { return GroupByBaseline(trades); }),
                       [&] { return GroupByEngine(trades); }});
  workloads.push_back({"groupby_running_1m_keys", base([&] { return GroupByKeysBaseline(keyed); }),
                       [&] { return GroupByKeysEngine(keyed); }});
  workloads.push_back({"tumbling_keyed", base([&] { return TumblingBaseline(trades); }),
                       [&] { return TumblingEngine(trades); }});
  // The same work, one event per send.
  workloads.push_back({"length_window_avg_single",
                       base([&] { return LengthWindowBaseline(trades, 100); }),
                       [&] { return LengthWindowEngine(trades, 100, true); }});
  workloads.push_back({"groupby_running_single", base([&] { return GroupByBaseline(trades); }),
                       [&] { return GroupByEngine(trades, true); }});
  workloads.push_back({"tumbling_keyed_single", base([&] { return TumblingBaseline(trades); }),
                       [&] { return TumblingEngine(trades, true); }});
  // Async hand-off: the maximum rate with 1, 2 and 4 workers, then 50% and 80% of it (threads:
  // not pinned to one core).
  std::map<int, double> max_rate;
  for (int w : {1, 2, 4}) {
    workloads.push_back({"async_handoff_w" + std::to_string(w),
                         base([&] { return FilterProjectBaseline(trades); }), [&, w] {
                           Measurement m = AsyncEngine(trades, w, 0);
                           max_rate[w] = static_cast<double>(trades.size()) / m.seconds;
                           return m;
                         }});
    for (int pct : {50, 80})
      workloads.push_back({"async_handoff_w" + std::to_string(w) + "_at" + std::to_string(pct),
                           base([&] { return FilterProjectBaseline(trades); }), [&, w, pct] {
                             return AsyncEngine(trades, w, max_rate[w] * pct / 100.0);
                           }});
  }
  // Grouped aggregation with 1, 2 and 4 workers (threads: not pinned to one core).
  for (int w : {1, 2, 4})
    workloads.push_back({"async_groupby_w" + std::to_string(w),
                         base([&] { return GroupByBaseline(trades); }),
                         [&, w] { return AsyncGroupByEngine(trades, w); }});
  workloads.push_back({"join_windowed", base([&] { return JoinBaseline(trades); }),
                       [&] { return JoinEngine(trades); }});
  workloads.push_back({"pattern_followed_by", base([&] { return PatternBaseline(trades); }),
                       [&] { return PatternEngine(trades); }});
  workloads.push_back({"ingest_jsonl",
                       [&] { return IngestBaseline(jsonl, TempPath("base.jsonl"), false); },
                       [&] { return IngestEngine(jsonl, TempPath("engine.jsonl"), false); }});
  workloads.push_back({"ingest_csv",
                       [&] { return IngestBaseline(csv, TempPath("base.csv"), true); },
                       [&] { return IngestEngine(csv, TempPath("engine.csv"), true); }});

  if (!json)
    std::printf("%-28s %10s %14s %14s %7s %9s %9s %8s %s\n", "workload", "events", "engine ev/s",
                "baseline ev/s", "ratio", "p50 us", "p99 us", "rss MB", "check");
  std::vector<Result> results;
  int rc = 0;
  for (const Workload& w : workloads) {
    if (!only.empty() && w.name.rfind(only, 0) != 0) continue;
    if (w.name.rfind("async_", 0) == 0) {
      cpu_set_t all;
      CPU_ZERO(&all);
      for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
      sched_setaffinity(0, sizeof all, &all);
    }
    // The hand-written loops are short: the best of three runs damps the machine's noise.
    Measurement b = w.baseline();
    for (int rep = 0; rep < 2; ++rep) {
      Measurement again = w.baseline();
      if (again.seconds < b.seconds) b = std::move(again);
    }
    Measurement e = w.engine();
    Result r;
    r.workload = w.name;
    r.events = n;
    r.ok = b.outcome.count == e.outcome.count &&
           std::fabs(b.outcome.checksum - e.outcome.checksum) <=
               1e-6 * std::max(1.0, std::fabs(b.outcome.checksum));
    if (!r.ok) rc = 1;
    r.engine_eps = static_cast<double>(n) / e.seconds;
    r.baseline_eps = static_cast<double>(n) / b.seconds;
    r.ratio = r.engine_eps / r.baseline_eps;
    r.p50 = Percentile(e.latency_us, 0.5);
    r.p99 = e.p99_override >= 0 ? e.p99_override : Percentile(e.latency_us, 0.99);
    r.rss = PeakRssMb();
    results.push_back(r);
    if (json) {
      std::printf(
          "{\"workload\":\"%s\",\"events\":%zu,\"engine_eps\":%.0f,\"baseline_eps\":%.0f,"
          "\"ratio\":%.4f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"peak_rss_mb\":%.1f,"
          "\"checksum_ok\":%s}\n",
          r.workload.c_str(), r.events, r.engine_eps, r.baseline_eps, r.ratio, r.p50, r.p99, r.rss,
          r.ok ? "true" : "false");
    } else {
      std::printf("%-28s %10zu %14.0f %14.0f %7.3f %9.2f %9.2f %8.1f %s\n", r.workload.c_str(),
                  r.events, r.engine_eps, r.baseline_eps, r.ratio, r.p50, r.p99, r.rss,
                  r.ok ? "ok" : "MISMATCH");
      if (!r.ok)
        std::printf("  baseline count=%llu checksum=%.6f, engine count=%llu checksum=%.6f\n",
                    static_cast<unsigned long long>(b.outcome.count), b.outcome.checksum,
                    static_cast<unsigned long long>(e.outcome.count), e.outcome.checksum);
    }
    std::fflush(stdout);
  }
  if (save) {
    std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
    std::filesystem::create_directories("bench/results");
    std::string path = std::string("bench/results/") + date + ".json";
    std::ofstream f(path);
    for (const Result& r : results)
      f << "{\"workload\":\"" << r.workload << "\",\"events\":" << r.events
        << ",\"engine_eps\":" << static_cast<int64_t>(r.engine_eps)
        << ",\"baseline_eps\":" << static_cast<int64_t>(r.baseline_eps) << ",\"ratio\":" << r.ratio
        << ",\"p50_us\":" << r.p50 << ",\"p99_us\":" << r.p99 << ",\"peak_rss_mb\":" << r.rss
        << ",\"checksum_ok\":" << (r.ok ? "true" : "false") << "}\n";
    std::fprintf(stderr, "saved %s\n", path.c_str());
  }
  std::remove(jsonl.c_str());
  std::remove(csv.c_str());
  // Checkpoints: their own measurements (times and sizes), beside the same work without them.
  if (only.empty() || only.rfind("checkpoint", 0) == 0 || only.rfind("tumbling_keyed_c", 0) == 0)
    rc |= sluice::bench::RunCheckpointBenchmarks(quick, json);
  // The Redis sink: pipelined batches against one command per round trip, beside hiredis by hand.
  if (only.empty() || only.rfind("redis", 0) == 0)
    rc |= sluice::bench::RunRedisSinkBenchmarks(quick, json);
  // A join with a table in Redis: one lookup per batch, cached or not, beside hiredis by hand.
  if (only.empty() || only.rfind("redis", 0) == 0)
    rc |= sluice::bench::RunRedisTableBenchmarks(quick, json);
  // The HTTP source: JSON lines POSTed into the engine, beside a server that only parses them.
  if (only.empty() || only.rfind("http", 0) == 0)
    rc |= sluice::bench::RunHttpSourceBenchmarks(quick, json);
  // A table loaded from a file: rows upserted by key per second, beside a hash map by hand.
  if (only.empty() || only.rfind("table_load", 0) == 0)
    rc |= sluice::bench::RunTableLoadBenchmark(quick, json);
  return rc;
}
