// The built-in event generator: synthetic events at a rate, for demos and benchmarks.
//   WITH ('type'='source', 'connector'='generator', 'rate'='1000', 'count'='10000', 'seed'='7',
//         'fields.symbol'='choice:AAPL,MSFT,GOOG', 'fields.price'='uniform:0,200',
//         'fields.volume'='uniform:1,1000', 'fields.ts'='sequence:0,1')
// Distributions: choice:a,b,..  uniform:lo,hi  normal:mean,stddev  sequence:start[,step]
// constant:v  now (the clock, ms). An attribute without a spec gets a default for its type.
#include <chrono>
#include <cmath>
#include <thread>

#include "common/format.h"
#include "connectors/connector.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "exec/event_time.h"

namespace sluice::connectors {

namespace {

// splitmix64: small, fast, and the same sequence everywhere for a seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t state() const { return s_; }
  void set_state(uint64_t s) { s_ = s; }
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Normal() {
    double u1 = std::max(Uniform(), 1e-300), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t s_;
};

struct FieldGen {
  enum class Kind { kChoice, kUniform, kNormal, kSequence, kConstant, kNow };
  Kind kind = Kind::kUniform;
  std::vector<std::string> choices;
  double a = 0, b = 100;
  int64_t seq = 0;
  std::string constant;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t c = s.find(',', start);
    std::string part = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    out.push_back(part);
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

Result<FieldGen> ParseSpec(const std::string& stream, const Field& field, const std::string& spec) {
  FieldGen g;
  std::string where = "stream '" + stream + "': 'fields." + field.name + "'='" + spec + "': ";
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  std::vector<std::string> args =
      colon == std::string::npos ? std::vector<std::string>{} : SplitComma(spec.substr(colon + 1));
  auto nums = [&](size_t min, size_t max) -> Status {
    if (args.size() < min || args.size() > max)
      return Status::InvalidArgument(where + kind + " takes " + std::to_string(min) +
                                     (min == max ? "" : " or " + std::to_string(max)) + " numbers");
    double v;
    for (const std::string& a : args)
      if (!ParseDouble(a, &v))
        return Status::InvalidArgument(where + "'" + a + "' is not a number");
    return Status::OK();
  };
  if (kind == "choice") {
    if (args.empty() || (args.size() == 1 && args[0].empty()))
      return Status::InvalidArgument(where + "choice needs values: choice:a,b,c");
    g.kind = FieldGen::Kind::kChoice;
    g.choices = args;
  } else if (kind == "uniform" || kind == "normal") {
    RETURN_IF_ERROR(nums(2, 2));
    g.kind = kind == "uniform" ? FieldGen::Kind::kUniform : FieldGen::Kind::kNormal;
    ParseDouble(args[0], &g.a);
    ParseDouble(args[1], &g.b);
    if (kind == "uniform" && g.b < g.a)
      return Status::InvalidArgument(where + "uniform:lo,hi needs lo <= hi");
  } else if (kind == "sequence") {
    RETURN_IF_ERROR(nums(1, 2));
    g.kind = FieldGen::Kind::kSequence;
    ParseDouble(args[0], &g.a);
    g.b = 1;
    if (args.size() == 2) ParseDouble(args[1], &g.b);
  } else if (kind == "constant") {
    g.kind = FieldGen::Kind::kConstant;
    g.constant = colon == std::string::npos ? "" : spec.substr(colon + 1);
  } else if (kind == "now") {
    g.kind = FieldGen::Kind::kNow;
  } else {
    return Status::InvalidArgument(where + "unknown distribution '" + kind +
                                   "' (choice, uniform, normal, sequence, constant, now)");
  }
  if (field.type.id == TypeId::kString &&
      (g.kind == FieldGen::Kind::kNormal || g.kind == FieldGen::Kind::kNow))
    return Status::InvalidArgument(where + kind + " makes numbers, but '" + field.name +
                                   "' is STRING");
  return g;
}

FieldGen DefaultSpec(const Field& f) {
  FieldGen g;
  switch (f.type.id) {
    case TypeId::kString:
      g.kind = FieldGen::Kind::kChoice;
      for (int i = 0; i < 10; ++i) g.choices.push_back(f.name + "-" + std::to_string(i));
      break;
    case TypeId::kBool:
      g.kind = FieldGen::Kind::kChoice, g.choices = {"true", "false"};
      break;
    case TypeId::kTimestamp:
      g.kind = FieldGen::Kind::kNow;
      break;
    case TypeId::kInt:
    case TypeId::kBigint:
      g.a = 0, g.b = 1000;
      break;
    default:
      g.a = 0, g.b = 100;
      break;
  }
  return g;
}

class GeneratorSource final : public Source {
 public:
  GeneratorSource(const plan::StreamDef& def, std::vector<FieldGen> gens, int64_t rate,
                  int64_t count, uint64_t seed)
      : def_(def), gens_(std::move(gens)), rate_(rate), count_(count), rng_(seed) {}

  Status Run(SourceContext& ctx) override {
    Batch batch(def_.schema);
    progress_.total_records.store(static_cast<uint64_t>(count_));
    int64_t batch_size = rate_ > 0 ? std::clamp<int64_t>(rate_ / 100, 1, 1024) : 1024;
    auto start = std::chrono::steady_clock::now();
    int64_t produced = resumed_, paced_from = resumed_;
    progress_.records.store(static_cast<uint64_t>(produced));
    while (!ctx.stopping() && (count_ == 0 || produced < count_)) {
      int64_t n = count_ == 0 ? batch_size : std::min(batch_size, count_ - produced);
      batch.Clear();
      int64_t now = ctx.clock->NowMillis();
      std::string problem;
      for (int64_t i = 0; i < n; ++i) {
        size_t row = batch.AddRow(now);
        Fill(&batch, row, now);
        if (!exec::AcceptSourceRow(def_, &batch, row, &problem)) {
          batch.Resize(row);
          ctx.malformed("generator event " + std::to_string(produced + i + 1), problem);
        }
      }
      produced += n;
      Status st = ctx.emit(batch, Position(produced));
      if (!st.ok()) return st;
      progress_.records.store(static_cast<uint64_t>(produced), std::memory_order_relaxed);
      if (rate_ > 0) {
        auto due = start + std::chrono::microseconds((produced - paced_from) * 1'000'000 / rate_);
        while (!ctx.stopping() && std::chrono::steady_clock::now() < due)
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              due - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
      }
    }
    progress_.finished.store(count_ > 0 && produced >= count_);
    progress_.caught_up.store(progress_.finished.load());
    return Status::OK();
  }

  // A position is "events=<n> rng=<state> seq=<a>,<b>,...": how many events came, the random
  // generator's state and each field's sequence number, so that a resumed generator goes on
  // with the very events it would have made.
  Status Resume(std::string_view position) override {
    std::string text(position);
    long long events = -1;
    unsigned long long rng = 0;
    int used = 0;
    if (std::sscanf(text.c_str(), "events=%lld rng=%llu seq=%n", &events, &rng, &used) != 2 ||
        used == 0 || events < 0)
      return Bad(position);
    std::vector<std::string> seqs = SplitComma(text.substr(static_cast<size_t>(used)));
    if (seqs.size() != gens_.size()) return Bad(position);
    for (size_t i = 0; i < gens_.size(); ++i)
      if (!ParseInt64(seqs[i], &gens_[i].seq)) return Bad(position);
    resumed_ = events;
    rng_.set_state(rng);
    return Status::OK();
  }

 private:
  Status Bad(std::string_view position) const {
    return Status::InvalidArgument(Named(def_) + ": a bad generator position '" +
                                   std::string(position) + "' in the checkpoint");
  }

  std::string Position(int64_t produced) const {
    std::string p =
        "events=" + std::to_string(produced) + " rng=" + std::to_string(rng_.state()) + " seq=";
    for (size_t i = 0; i < gens_.size(); ++i) p += (i ? "," : "") + std::to_string(gens_[i].seq);
    return p;
  }

  void Fill(Batch* batch, size_t row, int64_t now) {
    for (size_t c = 0; c < gens_.size(); ++c) {
      FieldGen& g = gens_[c];
      DataType t = def_.schema.field(c).type;
      switch (g.kind) {
        case FieldGen::Kind::kChoice: {
          const std::string& v = g.choices[rng_.Next() % g.choices.size()];
          batch->SetValue(row, c, Value(std::string_view(v)));
          break;
        }
        case FieldGen::Kind::kConstant:
          batch->SetValue(row, c, Value(std::string_view(g.constant)));
          break;
        case FieldGen::Kind::kNow:
          batch->SetValue(row, c, Value(now));
          break;
        case FieldGen::Kind::kSequence: {
          double v = g.a + g.b * static_cast<double>(g.seq++);
          SetNumber(batch, row, c, t, v);
          break;
        }
        case FieldGen::Kind::kUniform:
          SetNumber(batch, row, c, t, g.a + (g.b - g.a) * rng_.Uniform());
          break;
        case FieldGen::Kind::kNormal:
          SetNumber(batch, row, c, t, g.a + g.b * rng_.Normal());
          break;
      }
    }
  }

  static void SetNumber(Batch* batch, size_t row, size_t c, DataType t, double v) {
    if (t.is_integer() || t.id == TypeId::kTimestamp || t.id == TypeId::kBool) {
      batch->SetValue(row, c, Value(static_cast<int64_t>(std::floor(v))));
    } else if (t.id == TypeId::kDecimal) {
      double scaled = std::round(v * static_cast<double>(Pow10(t.scale)));
      batch->column(c).SetInt(row, static_cast<int64_t>(scaled));
    } else if (t.id == TypeId::kString) {
      std::string s;
      AppendDouble(&s, std::round(v * 100) / 100, false);
      batch->SetString(row, c, s);
    } else {
      // Two decimals, like prices.
      batch->SetValue(row, c, Value(std::round(v * 100) / 100));
    }
  }

  const plan::StreamDef& def_;
  std::vector<FieldGen> gens_;
  int64_t rate_, count_;
  Rng rng_;
  int64_t resumed_ = 0;  // events made before a restore
};

}  // namespace

Result<std::unique_ptr<Source>> MakeGeneratorSource(const plan::StreamDef& def) {
  const auto& props = def.connector->properties;
  auto num = [&](const char* key, int64_t dflt) {
    auto it = props.find(key);
    int64_t v = dflt;
    if (it != props.end()) ParseInt64(it->second, &v);
    return v;
  };
  std::vector<FieldGen> gens;
  for (const Field& f : def.schema.fields()) {
    auto it = props.find("fields." + f.name);
    if (it == props.end()) {
      gens.push_back(DefaultSpec(f));
    } else {
      ASSIGN_OR_RETURN(FieldGen g, ParseSpec(def.name, f, it->second));
      gens.push_back(std::move(g));
    }
  }
  return std::unique_ptr<Source>(new GeneratorSource(def, std::move(gens), num("rate", 0),
                                                     num("count", 0),
                                                     static_cast<uint64_t>(num("seed", 42))));
}

}  // namespace sluice::connectors
