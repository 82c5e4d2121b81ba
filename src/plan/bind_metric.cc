// The -- @metric comments above a query (the seed's FR-073): a Prometheus counter, gauge or
// histogram fed by the rows the query inserts, labelled by their columns.
#include <algorithm>
#include <cmath>
#include <set>

#include "common/format.h"
#include "plan/binder_internal.h"
#include "sql/parser.h"

namespace sluice::plan::binding {

namespace {

const std::vector<std::string> kMetricKeys = {"metric",         "metric_type",      "metric_help",
                                              "metric_labels",  "metric_condition", "metric_field",
                                              "metric_buckets", "metric_max_series"};

bool ValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return name.rfind("__", 0) != 0;  // reserved by Prometheus
}

// Moves every location of `e` (parsed from a comment's value alone, so on line 1) to where the
// value stands in the app.
void MoveLocs(sql::Expr* e, Loc value_at) {
  if (!e) return;
  if (e->loc.line == 1) e->loc.col += value_at.col - 1;
  e->loc.line += value_at.line - 1;
  for (auto& a : e->args) MoveLocs(a.get(), value_at);
}

struct Item {
  std::string text;
  Loc loc;
};

// "a, b , c" with where each item starts.
std::vector<Item> SplitList(const sql::MetricComment& c) {
  std::vector<Item> items;
  size_t start = 0;
  const std::string& v = c.value;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    size_t b = v.find_first_not_of(" \t", start);
    size_t e = v.find_last_not_of(" \t", comma == 0 ? 0 : comma - 1);
    if (b != std::string::npos && b < comma && e != std::string::npos && e >= b)
      items.push_back(
          {v.substr(b, e - b + 1), {c.value_loc.line, c.value_loc.col + static_cast<int>(b)}});
    else
      items.push_back({"", {c.value_loc.line, c.value_loc.col + static_cast<int>(start)}});
    start = comma + 1;
  }
  return items;
}

}  // namespace

void Binder::BindMetrics(const std::vector<sql::MetricComment>& comments, QueryPlan* qp) {
  const Schema& out = qp->OutputSchema();
  std::vector<std::string> columns;
  for (const Field& f : out.fields()) columns.push_back(f.name);
  auto column = [&](const Item& item, const char* what) -> int {
    int i = out.IndexOf(item.text);
    if (i >= 0) return i;
    diags_->Error(item.loc,
                  std::string(what) + " '" + item.text + "' is not a column of the rows this " +
                      "query inserts " + out.ToString(),
                  sql::DidYouMean(item.text, columns),
                  std::max(1, static_cast<int>(item.text.size())));
    return -1;
  };
  MetricPlan* m = nullptr;
  bool named = false;            // a '@metric: name' line came (valid or not)
  std::set<size_t> field_given;  // metrics (by place) that have a field line, valid or not
  for (const sql::MetricComment& c : comments) {
    if (std::find(kMetricKeys.begin(), kMetricKeys.end(), c.key) == kMetricKeys.end()) {
      diags_->Error(c.loc, "unknown metric line '@" + c.key + "'",
                    sql::DidYouMean(c.key, kMetricKeys), static_cast<int>(c.key.size()) + 1);
      continue;
    }
    if (c.value_loc.col < 0) {
      diags_->Error(c.loc, "expected '@" + c.key + ": <value>'", "",
                    static_cast<int>(c.key.size()) + 1);
      continue;
    }
    Item whole{c.value, c.value_loc};
    if (c.key == "metric") {
      named = true;
      if (!ValidMetricName(c.value)) {
        diags_->Error(
            c.value_loc,
            "'" + c.value + "' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", "",
            std::max(1, static_cast<int>(c.value.size())));
        m = nullptr;
        continue;
      }
      if (c.value.rfind("sluice_", 0) == 0) {
        diags_->Error(c.value_loc,
                      "metric names starting with 'sluice_' are the engine's own: choose another",
                      "", static_cast<int>(c.value.size()));
        m = nullptr;
        continue;
      }
      // A histogram's series are name_bucket, name_sum and name_count: no other metric may be
      // called so, whichever comes first (the histogram's type is known later: check both).
      std::string clash;
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string s = suffix;
        if (c.value.size() > s.size() &&
            c.value.compare(c.value.size() - s.size(), s.size(), s) == 0 &&
            metric_names_.count(c.value.substr(0, c.value.size() - s.size())))
          clash = c.value.substr(0, c.value.size() - s.size());
        if (metric_names_.count(c.value + s)) clash = c.value + s;
      }
      if (!clash.empty()) {
        diags_->Error(c.value_loc,
                      "metric '" + c.value + "' would share its series with metric '" + clash +
                          "' (a histogram's are <name>_bucket, _sum and _count)",
                      "", static_cast<int>(c.value.size()));
        m = nullptr;
        continue;
      }
      auto [it, fresh] = metric_names_.emplace(c.value, c.value_loc);
      if (!fresh) {
        diags_->Error(c.value_loc,
                      "metric '" + c.value + "' is declared twice (first at line " +
                          std::to_string(it->second.line) + ")",
                      "", static_cast<int>(c.value.size()));
        m = nullptr;
        continue;
      }
      qp->metrics.emplace_back();
      m = &qp->metrics.back();
      m->name = c.value;
      m->help = "rows of query " + qp->name + " (" + qp->id + ")";
      continue;
    }
    if (!m) {
      if (!named)
        diags_->Error(c.loc,
                      "@" + c.key + " belongs to a metric: start it with '-- @metric: <name>'", "",
                      static_cast<int>(c.key.size()) + 1);
      continue;
    }
    if (c.key == "metric_type") {
      std::string t = c.value;
      for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (t == "counter") {
        m->type = MetricType::kCounter;
      } else if (t == "gauge") {
        m->type = MetricType::kGauge;
      } else if (t == "histogram") {
        m->type = MetricType::kHistogram;
      } else {
        diags_->Error(c.value_loc,
                      "a metric is a counter, a gauge or a histogram, not '" + c.value + "'",
                      sql::DidYouMean(t, {"counter", "gauge", "histogram"}),
                      std::max(1, static_cast<int>(c.value.size())));
      }
    } else if (c.key == "metric_help") {
      m->help = c.value;
    } else if (c.key == "metric_labels") {
      for (const Item& item : SplitList(c)) {
        if (item.text.empty()) {
          diags_->Error(item.loc, "expected a column name in @metric_labels");
          continue;
        }
        int i = column(item, "label");
        if (i < 0) continue;
        m->labels.push_back(i);
        m->label_names.push_back(item.text);
      }
    } else if (c.key == "metric_condition") {
      sql::Diagnostics parsed;
      sql::ExprPtr e = sql::ParseExpression(c.value, &parsed);
      for (const sql::Diagnostic& d : parsed.all()) {
        Loc at = d.loc;
        if (at.line == 1) at.col += c.value_loc.col - 1;
        at.line += c.value_loc.line - 1;
        diags_->Error(at, d.message, d.suggestion, d.length);
      }
      if (!e || parsed.has_errors()) continue;
      MoveLocs(e.get(), c.value_loc);
      Scope scope;
      scope.inputs.push_back(
          {qp->table_write ? qp->table_write->table->name : qp->target->name, "", &out, 0});
      m->condition = BindCondition(*e, scope, "@metric_condition");
    } else if (c.key == "metric_field") {
      field_given.insert(static_cast<size_t>(m - qp->metrics.data()));
      int i = column(whole, "field");
      if (i < 0) continue;
      if (!out.field(static_cast<size_t>(i)).type.is_numeric()) {
        diags_->Error(c.value_loc,
                      "@metric_field '" + c.value + "' is " +
                          out.field(static_cast<size_t>(i)).type.ToString() +
                          ": a metric's value is a number",
                      "", static_cast<int>(c.value.size()));
        continue;
      }
      m->field = i;
    } else if (c.key == "metric_buckets") {
      m->buckets.clear();
      for (const Item& item : SplitList(c)) {
        double b;
        if (!ParseDouble(item.text, &b) || !std::isfinite(b) ||
            (!m->buckets.empty() && b <= m->buckets.back())) {
          diags_->Error(item.loc,
                        "@metric_buckets are numbers in ascending order, got '" + item.text + "'",
                        "", std::max(1, static_cast<int>(item.text.size())));
          m->buckets.clear();
          break;
        }
        m->buckets.push_back(b);
      }
    } else if (c.key == "metric_max_series") {
      int64_t n;
      if (!ParseInt64(c.value, &n) || n < 1 || n > 1000000) {
        diags_->Error(c.value_loc, "@metric_max_series is a count from 1 to 1000000", "",
                      std::max(1, static_cast<int>(c.value.size())));
        continue;
      }
      m->max_series = static_cast<int>(n);
    }
  }
  for (size_t i = 0; i < qp->metrics.size(); ++i) {
    MetricPlan& mp = qp->metrics[i];
    if (mp.type != MetricType::kCounter && mp.field < 0 && !field_given.count(i)) {
      Loc at = metric_names_[mp.name];
      diags_->Error(at,
                    "a " + std::string(mp.type == MetricType::kGauge ? "gauge" : "histogram") +
                        " needs its value: add '-- @metric_field: <column>'",
                    "", static_cast<int>(mp.name.size()));
    }
    if (mp.type == MetricType::kHistogram && mp.buckets.empty())
      mp.buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  }
}

}  // namespace sluice::plan::binding
