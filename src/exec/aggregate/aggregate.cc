#include "exec/aggregate/aggregate.h"

#include <cmath>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "common/format.h"
#include "common/row_key.h"

namespace sluice::exec {

using plan::Fn;

namespace {

// Reading and writing one value of a physical type.
template <typename V>
V Read(const Column& c, size_t row);
template <>
int64_t Read<int64_t>(const Column& c, size_t row) {
  return c.ints()[row];
}
template <>
double Read<double>(const Column& c, size_t row) {
  return c.doubles()[row];
}
template <>
std::string Read<std::string>(const Column& c, size_t row) {
  return std::string(c.strings()[row].view());
}

// Values of the three physical types in a state.
void Put(StateWriter& w, int64_t v) { w.I64(v); }
void Put(StateWriter& w, double v) { w.F64(v); }
void Put(StateWriter& w, const std::string& v) { w.Str(v); }
template <typename V>
V Take(StateReader& r);
template <>
int64_t Take<int64_t>(StateReader& r) {
  return r.I64();
}
template <>
double Take<double>(StateReader& r) {
  return r.F64();
}
template <>
std::string Take<std::string>(StateReader& r) {
  return r.Str();
}

// A per-group container (deque, map) of values: sizes first, then each entry.
template <typename V>
void PutDeques(StateWriter& w, const std::vector<std::deque<V>>& groups) {
  w.U64(groups.size());
  for (const auto& d : groups) {
    w.U64(d.size());
    for (const V& v : d) Put(w, v);
  }
}
template <typename V>
void TakeDeques(StateReader& r, std::vector<std::deque<V>>* groups) {
  groups->assign(r.Size(8), {});
  for (auto& d : *groups) {
    uint64_t n = r.Size(1);
    for (uint64_t i = 0; i < n && r.ok(); ++i) d.push_back(Take<V>(r));
  }
}

void Write(Column* out, size_t row, int64_t v, StringArena*) { out->SetInt(row, v); }
void Write(Column* out, size_t row, double v, StringArena*) { out->SetDouble(row, v); }
void Write(Column* out, size_t row, const std::string& v, StringArena* arena) {
  out->SetString(row, arena->Add(v));
}

class CountAgg final : public Aggregator {
 public:
  explicit CountAgg(bool rows) : rows_(rows) {}
  void Grow(size_t n) override { n_.resize(std::max(n_.size(), n), 0); }
  void Add(uint32_t g, const Column& a, size_t r) override { n_[g] += rows_ || !a.IsNull(r); }
  void Remove(uint32_t g, const Column& a, size_t r) override { n_[g] -= rows_ || !a.IsNull(r); }
  void Reset(uint32_t g) override { n_[g] = 0; }
  void Get(uint32_t g, Column* out, size_t row, StringArena*) override { out->SetInt(row, n_[g]); }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/count", 1);
    w.Vec(n_);
  }
  void Restore(StateReader& r) override {
    if (r.Section("aggregate/count", 1)) n_ = r.Vec<int64_t>();
  }
  void AddRun(const uint32_t* groups, const Column& a, size_t n, Column* out, size_t out_row,
              StringArena*) override {
    int64_t* o = out->ints() + out_row;
    uint8_t* ov = out->valid() + out_row;
    if (rows_) {
      for (size_t k = 0; k < n; ++k) o[k] = ++n_[groups[k]], ov[k] = 1;
    } else {
      const uint8_t* av = a.valid();
      for (size_t k = 0; k < n; ++k) o[k] = (n_[groups[k]] += av[k]), ov[k] = 1;
    }
  }

 private:
  bool rows_;  // count(): every row; count(x): non-NULL x
  std::vector<int64_t> n_;
};

// sum and avg. Integers and DECIMAL sum exactly in int64; doubles with Neumaier compensation, so
// that adding and retracting the same values returns to the same sum.
class SumAgg final : public Aggregator {
 public:
  SumAgg(DataType arg, DataType result, bool avg) : arg_(arg), result_(result), avg_(avg) {}
  void Grow(size_t n) override {
    n = std::max(n, count_.size());
    count_.resize(n, 0);
    isum_.resize(n, 0);
    dsum_.resize(n, 0);
    comp_.resize(n, 0);
  }
  void Add(uint32_t g, const Column& a, size_t r) override { Apply(g, a, r, 1); }
  void Remove(uint32_t g, const Column& a, size_t r) override { Apply(g, a, r, -1); }
  void Reset(uint32_t g) override { count_[g] = isum_[g] = 0, dsum_[g] = comp_[g] = 0; }
  void AddRun(const uint32_t* groups, const Column& a, size_t n, Column* out, size_t out_row,
              StringArena* arena) override {
    // Exact integer sums (not avg) have a tight loop; the others go row by row.
    if (avg_ || arg_.physical() != PhysicalType::kInt64 ||
        result_.physical() != PhysicalType::kInt64)
      return Aggregator::AddRun(groups, a, n, out, out_row, arena);
    const int64_t* v = a.ints();
    const uint8_t* av = a.valid();
    int64_t* o = out->ints() + out_row;
    uint8_t* ov = out->valid() + out_row;
    for (size_t k = 0; k < n; ++k) {
      uint32_t g = groups[k];
      int64_t valid = av[k];
      isum_[g] += v[k] * valid;
      count_[g] += valid;
      o[k] = isum_[g];
      ov[k] = count_[g] != 0;
    }
  }
  void Get(uint32_t g, Column* out, size_t row, StringArena*) override {
    if (count_[g] == 0) return out->SetNull(row);
    bool exact = arg_.physical() == PhysicalType::kInt64;
    if (avg_) {
      double total = exact ? static_cast<double>(isum_[g]) : dsum_[g] + comp_[g];
      if (arg_.id == TypeId::kDecimal) total /= static_cast<double>(Pow10(arg_.scale));
      return out->SetDouble(row, total / static_cast<double>(count_[g]));
    }
    if (result_.physical() == PhysicalType::kInt64) return out->SetInt(row, isum_[g]);
    out->SetDouble(row, exact ? static_cast<double>(isum_[g]) : dsum_[g] + comp_[g]);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/sum", 1);
    w.Vec(count_);
    w.Vec(isum_);
    w.Vec(dsum_);
    w.Vec(comp_);
  }
  void Restore(StateReader& r) override {
    if (!r.Section("aggregate/sum", 1)) return;
    count_ = r.Vec<int64_t>();
    isum_ = r.Vec<int64_t>();
    dsum_ = r.Vec<double>();
    comp_ = r.Vec<double>();
  }

 private:
  void Apply(uint32_t g, const Column& a, size_t r, int sign) {
    if (a.IsNull(r)) return;
    count_[g] += sign;
    if (arg_.physical() == PhysicalType::kInt64) {
      isum_[g] += sign * a.ints()[r];
      return;
    }
    double x = sign * a.doubles()[r];
    double t = dsum_[g] + x;
    comp_[g] += std::fabs(dsum_[g]) >= std::fabs(x) ? (dsum_[g] - t) + x : (x - t) + dsum_[g];
    dsum_[g] = t;
    if (count_[g] == 0) dsum_[g] = comp_[g] = 0;  // exactly empty again
  }

  DataType arg_, result_;
  bool avg_;
  std::vector<int64_t> count_, isum_;
  std::vector<double> dsum_, comp_;
};

// Population standard deviation, Welford's method with removal.
class StddevAgg final : public Aggregator {
 public:
  explicit StddevAgg(DataType arg) : arg_(arg) {}
  void Grow(size_t n) override {
    n = std::max(n, n_.size());
    n_.resize(n, 0);
    mean_.resize(n, 0);
    m2_.resize(n, 0);
  }
  void Add(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    double x = Value(a, r);
    ++n_[g];
    double delta = x - mean_[g];
    mean_[g] += delta / static_cast<double>(n_[g]);
    m2_[g] += delta * (x - mean_[g]);
  }
  void Remove(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    double x = Value(a, r);
    if (--n_[g] <= 0) return Reset(g);
    double delta = x - mean_[g];
    mean_[g] -= delta / static_cast<double>(n_[g]);
    m2_[g] -= delta * (x - mean_[g]);
    if (m2_[g] < 0) m2_[g] = 0;
  }
  void Reset(uint32_t g) override { n_[g] = 0, mean_[g] = m2_[g] = 0; }
  void Get(uint32_t g, Column* out, size_t row, StringArena*) override {
    if (n_[g] == 0) return out->SetNull(row);
    out->SetDouble(row, std::sqrt(m2_[g] / static_cast<double>(n_[g])));
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/stddev", 1);
    w.Vec(n_);
    w.Vec(mean_);
    w.Vec(m2_);
  }
  void Restore(StateReader& r) override {
    if (!r.Section("aggregate/stddev", 1)) return;
    n_ = r.Vec<int64_t>();
    mean_ = r.Vec<double>();
    m2_ = r.Vec<double>();
  }

 private:
  double Value(const Column& a, size_t r) const {
    if (arg_.physical() == PhysicalType::kDouble) return a.doubles()[r];
    double v = static_cast<double>(a.ints()[r]);
    return arg_.id == TypeId::kDecimal ? v / static_cast<double>(Pow10(arg_.scale)) : v;
  }
  DataType arg_;
  std::vector<int64_t> n_;
  std::vector<double> mean_, m2_;
};

// min / max. Without retraction (no window, or minForever/maxForever) a value per group; with
// arrival-order retraction a monotonic deque per group (amortized O(1)); otherwise a counted map.
template <typename V>
class MinMaxAgg final : public Aggregator {
 public:
  MinMaxAgg(bool is_max, bool retract, bool fifo) : max_(is_max), retract_(retract), fifo_(fifo) {}
  void Grow(size_t n) override {
    if (!retract_) {
      best_.resize(std::max(n, best_.size()));
      has_.resize(std::max(n, has_.size()), 0);
    } else if (fifo_) {
      deques_.resize(std::max(n, deques_.size()));
      adds_.resize(std::max(n, adds_.size()), 0);
      removes_.resize(std::max(n, removes_.size()), 0);
    } else {
      counts_.resize(std::max(n, counts_.size()));
    }
  }
  void Add(uint32_t g, const Column& a, size_t r) override {
    if (!retract_) {
      if (a.IsNull(r)) return;
      V v = Read<V>(a, r);
      if (!has_[g] || Better(v, best_[g])) best_[g] = std::move(v), has_[g] = 1;
    } else if (fifo_) {
      uint64_t seq = adds_[g]++;
      if (a.IsNull(r)) return;
      V v = Read<V>(a, r);
      auto& d = deques_[g];
      while (!d.empty() && !Better(d.back().second, v)) d.pop_back();
      d.emplace_back(seq, std::move(v));
    } else {
      if (a.IsNull(r)) return;
      ++counts_[g][Read<V>(a, r)];
    }
  }
  void Remove(uint32_t g, const Column& a, size_t r) override {
    if (!retract_) return;
    if (fifo_) {
      uint64_t seq = removes_[g]++;
      auto& d = deques_[g];
      if (!d.empty() && d.front().first == seq) d.pop_front();
    } else {
      if (a.IsNull(r)) return;
      auto it = counts_[g].find(Read<V>(a, r));
      if (it != counts_[g].end() && --it->second == 0) counts_[g].erase(it);
    }
  }
  void Reset(uint32_t g) override {
    if (!retract_) {
      has_[g] = 0;
    } else if (fifo_) {
      deques_[g].clear();
      adds_[g] = removes_[g] = 0;
    } else {
      counts_[g].clear();
    }
  }
  void Get(uint32_t g, Column* out, size_t row, StringArena* arena) override {
    if (!retract_) {
      if (!has_[g]) return out->SetNull(row);
      return Write(out, row, best_[g], arena);
    }
    if (fifo_) {
      if (deques_[g].empty()) return out->SetNull(row);
      return Write(out, row, deques_[g].front().second, arena);
    }
    if (counts_[g].empty()) return out->SetNull(row);
    Write(out, row, max_ ? counts_[g].rbegin()->first : counts_[g].begin()->first, arena);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/minmax", 1);
    w.U64(best_.size());
    for (const V& v : best_) Put(w, v);
    w.Vec(has_);
    w.U64(deques_.size());
    for (const auto& d : deques_) {
      w.U64(d.size());
      for (const auto& [seq, v] : d) {
        w.U64(seq);
        Put(w, v);
      }
    }
    w.Vec(adds_);
    w.Vec(removes_);
    w.U64(counts_.size());
    for (const auto& m : counts_) {
      w.U64(m.size());
      for (const auto& [v, n] : m) {
        Put(w, v);
        w.I64(n);
      }
    }
  }
  void Restore(StateReader& r) override {
    if (!r.Section("aggregate/minmax", 1)) return;
    best_.clear();
    uint64_t n = r.Size(1);
    for (uint64_t i = 0; i < n && r.ok(); ++i) best_.push_back(Take<V>(r));
    has_ = r.Vec<uint8_t>();
    deques_.assign(r.Size(8), {});
    for (auto& d : deques_) {
      uint64_t k = r.Size(9);
      for (uint64_t i = 0; i < k && r.ok(); ++i) {
        uint64_t seq = r.U64();
        d.emplace_back(seq, Take<V>(r));
      }
    }
    adds_ = r.Vec<uint64_t>();
    removes_ = r.Vec<uint64_t>();
    counts_.assign(r.Size(8), {});
    for (auto& m : counts_) {
      uint64_t k = r.Size(9);
      for (uint64_t i = 0; i < k && r.ok(); ++i) {
        V v = Take<V>(r);
        m[v] = r.I64();
      }
    }
  }

 private:
  bool Better(const V& a, const V& b) const { return max_ ? a > b : a < b; }
  bool max_, retract_, fifo_;
  std::vector<V> best_;
  std::vector<uint8_t> has_;
  std::vector<std::deque<std::pair<uint64_t, V>>> deques_;
  std::vector<uint64_t> adds_, removes_;
  std::vector<absl::btree_map<V, int64_t>> counts_;
};

// first / last of the non-NULL values in the window (or ever, without one).
template <typename V>
class FirstLastAgg final : public Aggregator {
 public:
  FirstLastAgg(bool last, bool retract, bool fifo) : last_(last), retract_(retract), fifo_(fifo) {}
  void Grow(size_t n) override { values_.resize(std::max(n, values_.size())); }
  void Add(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    auto& d = values_[g];
    if (!retract_) {
      // No retraction: first keeps the first value, last the latest.
      if (d.empty()) {
        d.push_back(Read<V>(a, r));
      } else if (last_) {
        d.front() = Read<V>(a, r);
      }
      return;
    }
    d.push_back(Read<V>(a, r));
  }
  void Remove(uint32_t g, const Column& a, size_t r) override {
    if (!retract_ || a.IsNull(r)) return;
    auto& d = values_[g];
    if (d.empty()) return;
    if (fifo_) {
      d.pop_front();
      return;
    }
    V v = Read<V>(a, r);
    for (auto it = d.begin(); it != d.end(); ++it)
      if (*it == v) {
        d.erase(it);
        break;
      }
  }
  void Reset(uint32_t g) override { values_[g].clear(); }
  void Get(uint32_t g, Column* out, size_t row, StringArena* arena) override {
    const auto& d = values_[g];
    if (d.empty()) return out->SetNull(row);
    Write(out, row, last_ ? d.back() : d.front(), arena);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/firstlast", 1);
    PutDeques(w, values_);
  }
  void Restore(StateReader& r) override {
    if (r.Section("aggregate/firstlast", 1)) TakeDeques(r, &values_);
  }

 private:
  bool last_, retract_, fifo_;
  std::vector<std::deque<V>> values_;
};

// The value as key bytes (common/row_key.h): equal exactly when the values are, as keys.
void ValueKey(const Column& a, size_t r, std::string* key) {
  key->clear();
  AppendValueKey(a, r, key);
}

void PutCounts(StateWriter& w,
               const std::vector<absl::flat_hash_map<std::string, int64_t>>& groups) {
  w.U64(groups.size());
  for (const auto& m : groups) {
    w.U64(m.size());
    for (const auto& [key, n] : m) {
      w.Str(key);
      w.I64(n);
    }
  }
}

void TakeCounts(StateReader& r, std::vector<absl::flat_hash_map<std::string, int64_t>>* groups) {
  groups->assign(r.Size(8), {});
  for (auto& m : *groups) {
    uint64_t n = r.Size(16);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string key = r.Str();
      m[key] = r.I64();
    }
  }
}

class DistinctCountAgg final : public Aggregator {
 public:
  void Grow(size_t n) override { counts_.resize(std::max(n, counts_.size())); }
  void Add(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    ValueKey(a, r, &key_);
    ++counts_[g][key_];
  }
  void Remove(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    ValueKey(a, r, &key_);
    auto it = counts_[g].find(key_);
    if (it != counts_[g].end() && --it->second == 0) counts_[g].erase(it);
  }
  void Reset(uint32_t g) override { counts_[g].clear(); }
  void Get(uint32_t g, Column* out, size_t row, StringArena*) override {
    out->SetInt(row, static_cast<int64_t>(counts_[g].size()));
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/distinctCount", 1);
    PutCounts(w, counts_);
  }
  void Restore(StateReader& r) override {
    if (r.Section("aggregate/distinctCount", 1)) TakeCounts(r, &counts_);
  }

 private:
  std::vector<absl::flat_hash_map<std::string, int64_t>> counts_;
  std::string key_;
};

// agg(DISTINCT x): the inner aggregate sees a value when its count in the group becomes 1 and
// loses it when the count returns to 0.
class DistinctAgg final : public Aggregator {
 public:
  explicit DistinctAgg(std::unique_ptr<Aggregator> inner) : inner_(std::move(inner)) {}
  void Grow(size_t n) override {
    counts_.resize(std::max(n, counts_.size()));
    inner_->Grow(n);
  }
  void Add(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    ValueKey(a, r, &key_);
    if (++counts_[g][key_] == 1) inner_->Add(g, a, r);
  }
  void Remove(uint32_t g, const Column& a, size_t r) override {
    if (a.IsNull(r)) return;
    ValueKey(a, r, &key_);
    auto it = counts_[g].find(key_);
    if (it == counts_[g].end()) return;
    if (--it->second == 0) {
      counts_[g].erase(it);
      inner_->Remove(g, a, r);
    }
  }
  void Reset(uint32_t g) override {
    counts_[g].clear();
    inner_->Reset(g);
  }
  void Get(uint32_t g, Column* out, size_t row, StringArena* arena) override {
    inner_->Get(g, out, row, arena);
  }
  void Snapshot(StateWriter& w) const override {
    w.Section("aggregate/distinct", 1);
    PutCounts(w, counts_);
    inner_->Snapshot(w);
  }
  void Restore(StateReader& r) override {
    if (!r.Section("aggregate/distinct", 1)) return;
    TakeCounts(r, &counts_);
    inner_->Restore(r);
  }

 private:
  std::unique_ptr<Aggregator> inner_;
  std::vector<absl::flat_hash_map<std::string, int64_t>> counts_;
  std::string key_;
};

template <template <typename> class Agg>
std::unique_ptr<Aggregator> ByPhysical(DataType t, bool flag, bool retract, bool fifo) {
  switch (t.physical()) {
    case PhysicalType::kInt64:
      return std::make_unique<Agg<int64_t>>(flag, retract, fifo);
    case PhysicalType::kDouble:
      return std::make_unique<Agg<double>>(flag, retract, fifo);
    case PhysicalType::kString:
      return std::make_unique<Agg<std::string>>(flag, retract, fifo);
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Aggregator> MakeAggregator(const plan::AggregatePlan& p, DataType arg,
                                           bool windowed, bool fifo) {
  bool inner_fifo = fifo && !p.distinct;  // DISTINCT retracts in another order
  bool r = windowed;
  std::unique_ptr<Aggregator> a;
  switch (p.fn) {
    case Fn::kCount:
      if (p.distinct) return std::make_unique<DistinctCountAgg>();
      a = std::make_unique<CountAgg>(!p.arg);
      break;
    case Fn::kDistinctCount:
      return std::make_unique<DistinctCountAgg>();
    case Fn::kSum:
      a = std::make_unique<SumAgg>(arg, p.type, false);
      break;
    case Fn::kAvg:
      a = std::make_unique<SumAgg>(arg, p.type, true);
      break;
    case Fn::kStddev:
      a = std::make_unique<StddevAgg>(arg);
      break;
    case Fn::kMin:
      a = ByPhysical<MinMaxAgg>(arg, false, r, inner_fifo);
      break;
    case Fn::kMax:
      a = ByPhysical<MinMaxAgg>(arg, true, r, inner_fifo);
      break;
    case Fn::kMinForever:
      a = ByPhysical<MinMaxAgg>(arg, false, false, false);
      break;
    case Fn::kMaxForever:
      a = ByPhysical<MinMaxAgg>(arg, true, false, false);
      break;
    case Fn::kFirst:
      a = ByPhysical<FirstLastAgg>(arg, false, r, inner_fifo);
      break;
    case Fn::kLast:
      a = ByPhysical<FirstLastAgg>(arg, true, r, inner_fifo);
      break;
    default:
      return nullptr;
  }
  if (p.distinct) return std::make_unique<DistinctAgg>(std::move(a));
  return a;
}

}  // namespace sluice::exec
