#include "exec/metric_op.h"

#include <algorithm>

#include "common/format.h"
#include "common/log.h"
#include "common/row_key.h"

namespace sluice::exec {

namespace {

const char* TypeName(plan::MetricType t) {
  switch (t) {
    case plan::MetricType::kCounter:
      return "counter";
    case plan::MetricType::kGauge:
      return "gauge";
    case plan::MetricType::kHistogram:
      return "histogram";
  }
  return "counter";
}

// A numeric column's value as a double; false when it is NULL.
bool NumberAt(const Column& c, size_t row, double* out) {
  if (c.IsNull(row)) return false;
  DataType t = c.type();
  if (t.is_floating()) {
    *out = c.doubles()[row];
  } else if (t.id == TypeId::kDecimal) {
    *out = static_cast<double>(c.ints()[row]) / static_cast<double>(Pow10(t.scale));
  } else {
    *out = static_cast<double>(c.ints()[row]);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<MetricOp>> MetricOp::Make(const plan::QueryPlan& q, BatchConsumer* next,
                                                 QueryCounters* counters) {
  std::unique_ptr<MetricOp> op(new MetricOp(q, next, counters));
  for (const plan::MetricPlan& mp : q.metrics) {
    Metric m;
    m.plan = &mp;
    if (mp.condition) {
      ASSIGN_OR_RETURN(m.condition, Compile(*mp.condition));
    }
    op->metrics_.push_back(std::move(m));
  }
  return op;
}

void MetricOp::Feed(Metric& m, const Batch& rows) {
  const plan::MetricPlan& p = *m.plan;
  size_t n = rows.num_rows();
  const Column* pass = nullptr;
  if (m.condition)
    pass = &EvalCondition(*m.condition, ctx_, 0, rows, Selection::All(n), &counters_->errors);
  for (size_t r = 0; r < n; ++r) {
    if (pass && !IsTrue(*pass, r)) continue;
    double v = 1;
    if (p.field >= 0 && !NumberAt(rows.column(static_cast<size_t>(p.field)), r, &v)) continue;
    key_.clear();
    for (int l : p.labels) AppendValueKey(rows.column(static_cast<size_t>(l)), r, &key_);
    auto it = m.index.find(key_);
    uint32_t s;
    if (it != m.index.end()) {
      s = it->second;
    } else {
      if (m.series.size() >= static_cast<size_t>(p.max_series)) {
        if (m.dropped++ == 0)
          Log(LogLevel::kWarn, "metric '" + p.name + "' of query " + query_.name + " has " +
                                   std::to_string(p.max_series) +
                                   " series, its @metric_max_series: rows with new label values "
                                   "are not counted (sluice_metric_dropped_total)");
        continue;
      }
      s = static_cast<uint32_t>(m.series.size());
      m.index.emplace(key_, s);
      Series fresh;
      for (int l : p.labels) {
        // A label is the value as text: a string as it is, NULL as "".
        Value label = rows.column(static_cast<size_t>(l)).GetValue(r);
        fresh.values.push_back(label.is_null()                   ? std::string()
                               : label.type() == TypeId::kString ? label.string_value()
                                                                 : label.ToString());
      }
      fresh.buckets.assign(p.buckets.size(), 0);
      m.series.push_back(std::move(fresh));
    }
    Series& series = m.series[s];
    switch (p.type) {
      case plan::MetricType::kCounter:
        if (v > 0) series.value += v;  // a counter only goes up
        break;
      case plan::MetricType::kGauge:
        series.value = v;
        break;
      case plan::MetricType::kHistogram: {
        auto b = std::lower_bound(p.buckets.begin(), p.buckets.end(), v);
        if (b != p.buckets.end()) ++series.buckets[static_cast<size_t>(b - p.buckets.begin())];
        series.sum += v;
        ++series.count;
        break;
      }
    }
  }
}

void MetricOp::Push(const Batch& rows) {
  if (rows.num_rows() > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Metric& m : metrics_) Feed(m, rows);
  }
  next_->Push(rows);
}

void MetricOp::AppendStats(std::vector<UserMetricStats>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Metric& m : metrics_) {
    const plan::MetricPlan& p = *m.plan;
    auto it = std::find_if(out->begin(), out->end(),
                           [&](const UserMetricStats& u) { return u.name == p.name; });
    if (it == out->end()) {
      UserMetricStats u;
      u.name = p.name;
      u.type = TypeName(p.type);
      u.help = p.help;
      u.query = query_.id;
      u.labels = p.label_names;
      u.bounds = p.buckets;
      out->push_back(std::move(u));
      it = out->end() - 1;
    }
    it->dropped += m.dropped;
    for (const Series& s : m.series) {
      auto same =
          std::find_if(it->series.begin(), it->series.end(),
                       [&](const UserMetricStats::Series& x) { return x.values == s.values; });
      if (same == it->series.end()) {
        it->series.push_back({s.values, s.value, s.buckets, s.sum, s.count});
        continue;
      }
      if (p.type == plan::MetricType::kGauge) {
        same->value = s.value;
      } else {
        same->value += s.value;
      }
      for (size_t b = 0; b < s.buckets.size() && b < same->buckets.size(); ++b)
        same->buckets[b] += s.buckets[b];
      same->sum += s.sum;
      same->count += s.count;
    }
  }
}

}  // namespace sluice::exec
