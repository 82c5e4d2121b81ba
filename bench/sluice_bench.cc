// sluice-bench: each workload runs through the engine's public API and, in the same process, as
// a hand-written C++ loop over the same data; both must agree on output count and checksum.
// Prints events/s, latency percentiles and the engine/baseline ratio.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "sluice/engine.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Trades {
  std::vector<std::string> symbol_names;
  std::vector<uint32_t> symbol;  // index into symbol_names
  std::vector<double> price;
  std::vector<int64_t> volume;
  std::vector<int64_t> ts;
  size_t size() const { return price.size(); }
};

Trades MakeTrades(size_t n, uint64_t seed) {
  Trades t;
  for (int i = 0; i < 100; ++i) t.symbol_names.push_back("SYM" + std::to_string(i));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> price(0, 200);
  std::uniform_int_distribution<int64_t> volume(1, 1000);
  std::uniform_int_distribution<uint32_t> sym(0, 99);
  t.symbol.resize(n);
  t.price.resize(n);
  t.volume.resize(n);
  t.ts.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.symbol[i] = sym(rng);
    t.price[i] = std::round(price(rng) * 100) / 100;
    t.volume[i] = volume(rng);
    t.ts[i] = static_cast<int64_t>(i);
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
  std::vector<double> batch_latency_us;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// filter_project: WHERE price > 100, SELECT symbol, price * volume.
Measurement BaselineFilterProject(const Trades& t) {
  Measurement m;
  auto start = Clock::now();
  Outcome o;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.price[i] > 100) {
      ++o.count;
      o.checksum += t.price[i] * static_cast<double>(t.volume[i]) + t.symbol[i];
    }
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.outcome = o;
  return m;
}

Measurement EngineFilterProject(const Trades& t, size_t batch_size) {
  Measurement m;
  auto app = sluice::AppRuntime::Load(
      "CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT);\n"
      "INSERT INTO Out SELECT symbol, price * volume AS notional FROM Trades WHERE price > 100;");
  if (!app.ok()) {
    std::fprintf(stderr, "%s\n", app.status().message().c_str());
    std::exit(1);
  }
  Outcome o;
  // The symbol's index is recovered from its text ("SYM42") for the checksum.
  (*app)->AddCallback("Out", [&](const sluice::OutputBatch& out) {
    const sluice::Column& sym = out.batch->column(0);
    const sluice::Column& notional = out.batch->column(1);
    for (size_t r = 0; r < out.batch->num_rows(); ++r) {
      ++o.count;
      o.checksum += notional.doubles()[r] + std::atoi(sym.strings()[r].data + 3);
    }
  });
  (*app)->Start();
  sluice::InputHandler* in = (*app)->GetInputHandler("Trades");
  // Input batches are built before timing: the engine's work is measured, not the harness's.
  std::vector<sluice::Batch> batches;
  for (size_t start = 0; start < t.size(); start += batch_size) {
    size_t n = std::min(batch_size, t.size() - start);
    sluice::Batch b(in->schema());
    b.Resize(n);
    for (size_t k = 0; k < n; ++k) {
      size_t i = start + k;
      b.timestamps()[k] = t.ts[i];
      const std::string& s = t.symbol_names[t.symbol[i]];
      b.column(0).SetString(k, sluice::StringRef{s.data(), static_cast<uint32_t>(s.size())});
      b.column(1).SetDouble(k, t.price[i]);
      b.column(2).SetInt(k, t.volume[i]);
      b.column(3).SetInt(k, t.ts[i]);
    }
    batches.push_back(std::move(b));
  }
  m.batch_latency_us.reserve(batches.size());
  auto start = Clock::now();
  for (const sluice::Batch& b : batches) {
    auto s = Clock::now();
    sluice::Status st = in->SendBatch(b);
    if (!st.ok()) std::exit(1);
    m.batch_latency_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - s).count());
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*app)->Shutdown();
  m.outcome = o;
  return m;
}

struct Workload {
  const char* name;
  std::function<Measurement(const Trades&)> baseline;
  std::function<Measurement(const Trades&)> engine;
};

}  // namespace

int main(int argc, char** argv) {
  bool json = false, quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) json = true;
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
  }
  size_t n = quick ? 2'000'000 : 10'000'000;
  Trades trades = MakeTrades(n, 7);
  std::vector<Workload> workloads = {
      {"filter_project", BaselineFilterProject,
       [](const Trades& t) { return EngineFilterProject(t, 1024); }},
      {"filter_project_single", BaselineFilterProject,
       [](const Trades& t) { return EngineFilterProject(t, 1); }},
  };
  if (!json)
    std::printf("%-24s %12s %14s %14s %7s %9s %9s %8s %s\n", "workload", "events", "engine ev/s",
                "baseline ev/s", "ratio", "p50 us", "p99 us", "rss MB", "check");
  int rc = 0;
  for (const Workload& w : workloads) {
    Measurement base = w.baseline(trades);
    Measurement eng = w.engine(trades);
    bool same = base.outcome.count == eng.outcome.count &&
                std::fabs(base.outcome.checksum - eng.outcome.checksum) <=
                    1e-6 * std::max(1.0, std::fabs(base.outcome.checksum));
    if (!same) rc = 1;
    double e_eps = static_cast<double>(n) / eng.seconds;
    double b_eps = static_cast<double>(n) / base.seconds;
    double p50 = Percentile(eng.batch_latency_us, 0.50),
           p99 = Percentile(eng.batch_latency_us, 0.99);
    if (json) {
      std::printf(
          "{\"workload\":\"%s\",\"events\":%zu,\"engine_eps\":%.0f,\"baseline_eps\":%.0f,"
          "\"ratio\":%.4f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"peak_rss_mb\":%.1f,"
          "\"checksum_ok\":%s}\n",
          w.name, n, e_eps, b_eps, e_eps / b_eps, p50, p99, PeakRssMb(), same ? "true" : "false");
    } else {
      std::printf("%-24s %12zu %14.0f %14.0f %7.3f %9.3f %9.3f %8.1f %s\n", w.name, n, e_eps, b_eps,
                  e_eps / b_eps, p50, p99, PeakRssMb(), same ? "ok" : "MISMATCH");
    }
  }
  return rc;
}
