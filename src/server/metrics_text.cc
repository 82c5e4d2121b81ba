#include "server/metrics_text.h"

#include <algorithm>
#include <cstdio>

#include "common/format.h"

namespace sluice::server {

namespace {

std::string Label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Writes one metric family: HELP, TYPE and a sample per item.
template <typename Items, typename Value>
void Family(std::string* out, const char* name, const char* type, const char* help,
            const Items& items, const char* label, Value value) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  for (const auto& item : items) {
    double v = 0;
    if (!value(item, &v)) continue;
    *out += std::string(name) + "{" + label + "=\"" + Label(item.name) + "\"} " + Number(v) + "\n";
  }
}

// The shortest text that reads back as `v` ("0.005", not "0.0050000000000000001"): a bucket's
// bound is matched as a string.
std::string Shortest(double v) {
  std::string s;
  AppendDouble(&s, v, false);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);  // "10"
  return s;
}

// The app's own metrics (-- @metric): a family each, a sample per series with its labels.
void AppendUserMetrics(std::string* out, const std::vector<UserMetricStats>& metrics) {
  for (const UserMetricStats& m : metrics) {
    *out += "# HELP " + m.name + " " + Label(m.help) + "\n# TYPE " + m.name + " " + m.type + "\n";
    for (const UserMetricStats::Series& s : m.series) {
      std::string labels;
      for (size_t i = 0; i < m.labels.size() && i < s.values.size(); ++i)
        labels += (labels.empty() ? "" : ",") + m.labels[i] + "=\"" + Label(s.values[i]) + "\"";
      if (m.type != "histogram") {
        *out += m.name + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(s.value) + "\n";
        continue;
      }
      std::string sep = labels.empty() ? "" : ",";
      uint64_t cumulative = 0;
      for (size_t b = 0; b < m.bounds.size() && b < s.buckets.size(); ++b) {
        cumulative += s.buckets[b];
        *out += m.name + "_bucket{" + labels + sep + "le=\"" + Shortest(m.bounds[b]) + "\"} " +
                std::to_string(cumulative) + "\n";
      }
      *out += m.name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(s.count) + "\n";
      *out +=
          m.name + "_sum" + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(s.sum) + "\n";
      *out += m.name + "_count" + (labels.empty() ? "" : "{" + labels + "}") + " " +
              std::to_string(s.count) + "\n";
    }
  }
  if (metrics.empty()) return;
  *out +=
      "# HELP sluice_metric_dropped_total Rows not counted by an @metric: their labels would pass "
      "its @metric_max_series.\n# TYPE sluice_metric_dropped_total counter\n";
  for (const UserMetricStats& m : metrics)
    *out += "sluice_metric_dropped_total{metric=\"" + Label(m.name) + "\"} " +
            std::to_string(m.dropped) + "\n";
}

}  // namespace

std::string PrometheusText(const AppStats& stats) {
  std::string out;
  const auto& s = stats.streams;
  const auto& q = stats.queries;
  using SS = StreamStats;
  using QS = QueryStats;
  auto all = [](auto field) {
    return [field](const auto& item, double* v) {
      *v = static_cast<double>(item.*field);
      return true;
    };
  };
  auto async = [](auto field) {
    return [field](const SS& item, double* v) {
      *v = static_cast<double>(item.*field);
      return item.async;
    };
  };
  Family(&out, "sluice_stream_events_total", "counter",
         "Events delivered to the stream's consumers.", s, "stream", all(&SS::events));
  Family(&out, "sluice_stream_malformed_total", "counter",
         "Input records rejected before entering the stream.", s, "stream", all(&SS::malformed));
  Family(&out, "sluice_stream_queued_total", "counter",
         "Events accepted into an async stream's queues.", s, "stream", async(&SS::queued));
  Family(&out, "sluice_stream_dropped_total", "counter",
         "Events dropped by the backpressure strategy.", s, "stream", async(&SS::dropped));
  Family(&out, "sluice_stream_left_total", "counter", "Events still queued when a shutdown ended.",
         s, "stream", async(&SS::left));
  Family(&out, "sluice_stream_backpressure_total", "counter",
         "Times a producer found a queue full.", s, "stream", async(&SS::backpressure));
  Family(&out, "sluice_stream_overflowed_total", "counter",
         "Events a feedback loop held beyond a full queue.", s, "stream", async(&SS::overflowed));
  Family(&out, "sluice_stream_queue_depth", "gauge", "Events queued now.", s, "stream",
         async(&SS::queue_depth));
  Family(&out, "sluice_stream_queue_capacity", "gauge", "Events the queues can hold.", s, "stream",
         async(&SS::queue_capacity));
  Family(&out, "sluice_stream_queue_max_fill_ratio", "gauge", "Highest queue fill seen (0..1).", s,
         "stream", async(&SS::queue_max_fill));
  Family(&out, "sluice_stream_latency_p99_microseconds", "gauge",
         "Enqueue-to-processed latency, 99th percentile.", s, "stream", async(&SS::p99_us));
  Family(&out, "sluice_stream_health", "gauge", "Health score 0..100.", s, "stream",
         async(&SS::health));
  Family(&out, "sluice_query_events_in_total", "counter", "Events that entered the query.", q,
         "query", all(&QS::events_in));
  Family(&out, "sluice_query_events_out_total", "counter",
         "Events the query took (into its output, window, aggregate, join or pattern).", q, "query",
         all(&QS::events_out));
  Family(&out, "sluice_query_rows_out_total", "counter", "Rows the query inserted.", q, "query",
         all(&QS::rows_out));
  Family(&out, "sluice_query_filtered_total", "counter", "Events removed by WHERE or a filter.", q,
         "query", all(&QS::filtered));
  Family(&out, "sluice_query_faulted_total", "counter", "Events sent to the fault stream.", q,
         "query", all(&QS::faulted));
  Family(&out, "sluice_query_dropped_total", "counter", "Events that failed and were dropped.", q,
         "query", all(&QS::dropped));
  Family(&out, "sluice_query_errors_total", "counter", "Failed expressions that became NULL.", q,
         "query", all(&QS::errors));
  Family(&out, "sluice_query_late_total", "counter", "Events that came after their window closed.",
         q, "query", all(&QS::late));
  Family(&out, "sluice_query_latency_p50_microseconds", "gauge", "Time per input batch, median.", q,
         "query", all(&QS::p50_us));
  Family(&out, "sluice_query_latency_p99_microseconds", "gauge",
         "Time per input batch, 99th percentile.", q, "query", all(&QS::p99_us));
  Family(&out, "sluice_query_health", "gauge", "Health score 0..100.", q, "query",
         all(&QS::health));
  auto stateful = [](auto field) {
    return [field](const QS& item, double* v) {
      *v = static_cast<double>(item.*field);
      return item.stateful;
    };
  };
  Family(&out, "sluice_query_state_keys", "gauge",
         "Keys the query's state holds (groups, partitions, distinct rows, joined events).", q,
         "query", stateful(&QS::state_keys));
  Family(&out, "sluice_query_state_bytes", "gauge", "About how many bytes the query's state takes.",
         q, "query", stateful(&QS::state_bytes));
  // Sinks, by stream; the sink runtime's counters only for the sinks that run behind it.
  struct NamedSink {
    const SinkStats* s;
    std::string name;
  };
  std::vector<NamedSink> sinks;
  for (const SinkStats& k : stats.sinks) sinks.push_back({&k, k.stream});
  auto sink = [](auto field, bool runtime_only) {
    return [field, runtime_only](const NamedSink& item, double* v) {
      *v = static_cast<double>(item.s->*field);
      return !runtime_only || !item.s->breaker.empty();
    };
  };
  using KS = SinkStats;
  Family(&out, "sluice_sink_written_total", "counter", "Rows the sink wrote.", sinks, "sink",
         sink(&KS::written, false));
  Family(&out, "sluice_sink_queued", "gauge", "Rows queued or being written now.", sinks, "sink",
         sink(&KS::queued, true));
  Family(&out, "sluice_sink_failed_total", "counter",
         "Rows whose write failed for good ('retry.max' spent).", sinks, "sink",
         sink(&KS::failed, true));
  Family(&out, "sluice_sink_retried_total", "counter", "Write attempts repeated after a failure.",
         sinks, "sink", sink(&KS::retried, true));
  Family(&out, "sluice_sink_dropped_total", "counter",
         "Rows dropped because the sink's queue was full ('queue.full'='drop').", sinks, "sink",
         sink(&KS::dropped, true));
  Family(&out, "sluice_sink_left_total", "counter", "Rows not written when the shutdown timed out.",
         sinks, "sink", sink(&KS::left, true));
  Family(&out, "sluice_sink_batches_total", "counter", "Batches written.", sinks, "sink",
         sink(&KS::batches, true));
  Family(&out, "sluice_sink_batch_latency_p50_microseconds", "gauge",
         "Time to write one batch, retries included, median.", sinks, "sink",
         sink(&KS::batch_p50_us, true));
  Family(&out, "sluice_sink_batch_latency_p99_microseconds", "gauge",
         "Time to write one batch, retries included, 99th percentile.", sinks, "sink",
         sink(&KS::batch_p99_us, true));
  Family(&out, "sluice_sink_breaker_open", "gauge",
         "1 while the sink's circuit breaker is open or half-open.", sinks, "sink",
         [](const NamedSink& item, double* v) {
           *v = item.s->breaker == "closed" ? 0 : 1;
           return !item.s->breaker.empty();
         });
  Family(&out, "sluice_sink_breaker_opened_total", "counter",
         "Times the sink's circuit breaker opened.", sinks, "sink",
         sink(&KS::breaker_opened, true));
  // Tables loaded from sources, by table: the load's progress.
  struct NamedTable {
    const TableLoadStats* t;
    std::string name;
  };
  std::vector<NamedTable> tables;
  for (const TableLoadStats& t : stats.tables) tables.push_back({&t, t.table});
  auto table = [](auto field) {
    return [field](const NamedTable& item, double* v) {
      *v = static_cast<double>(item.t->*field);
      return true;
    };
  };
  using TS = TableLoadStats;
  Family(&out, "sluice_table_rows", "gauge", "Rows in the table.", tables, "table",
         table(&TS::rows));
  Family(&out, "sluice_table_load_records_total", "counter",
         "Records read by the table's source, its load's and then its updates'.", tables, "table",
         table(&TS::records));
  Family(&out, "sluice_table_load_bytes_total", "counter", "Bytes read by the table's source.",
         tables, "table", table(&TS::bytes));
  Family(&out, "sluice_table_load_total_bytes", "gauge",
         "The size of the table's file when its load started (0: unknown).", tables, "table",
         table(&TS::total_bytes));
  Family(&out, "sluice_table_loaded", "gauge", "1 once the table is loaded (ready).", tables,
         "table", [](const NamedTable& item, double* v) {
           *v = item.t->state == "ready" ? 1 : 0;
           return true;
         });
  Family(&out, "sluice_table_load_failed", "gauge", "1 when the table's load failed.", tables,
         "table", [](const NamedTable& item, double* v) {
           *v = item.t->state == "failed" ? 1 : 0;
           return true;
         });
  Family(&out, "sluice_table_load_records_per_second", "gauge",
         "Records per second of the load (so far, or its average once loaded).", tables, "table",
         table(&TS::records_per_s));
  Family(&out, "sluice_table_load_eta_seconds", "gauge",
         "Estimated time to the end of a file's load (-1: unknown or loaded).", tables, "table",
         [](const NamedTable& item, double* v) {
           *v = item.t->eta_ms < 0 ? -1.0 : static_cast<double>(item.t->eta_ms) / 1e3;
           return true;
         });
  Family(&out, "sluice_table_load_seconds", "gauge", "How long the load took (-1: loading).",
         tables, "table", [](const NamedTable& item, double* v) {
           *v = item.t->load_ms < 0 ? -1.0 : static_cast<double>(item.t->load_ms) / 1e3;
           return true;
         });
  // Tables that live in a store, by table: their caches and lookups.
  struct NamedStore {
    const StoreTableStats* t;
    std::string name;
  };
  std::vector<NamedStore> stores;
  for (const StoreTableStats& t : stats.store_tables) stores.push_back({&t, t.table});
  auto store = [](auto field) {
    return [field](const NamedStore& item, double* v) {
      *v = static_cast<double>(item.t->*field);
      return true;
    };
  };
  using ST = StoreTableStats;
  Family(&out, "sluice_table_cache_rows", "gauge",
         "Keys of the store's table cached now (rows, and keys without one).", stores, "table",
         store(&ST::cached));
  Family(&out, "sluice_table_cache_hits_total", "counter", "Keys a batch needed that were cached.",
         stores, "table", store(&ST::hits));
  Family(&out, "sluice_table_cache_misses_total", "counter", "Keys looked up in the store.", stores,
         "table", store(&ST::misses));
  Family(&out, "sluice_table_lookups_total", "counter", "Round trips to the table's store.", stores,
         "table", store(&ST::lookups));
  Family(&out, "sluice_table_lookup_failures_total", "counter",
         "Lookups in the table's store that failed after their retries.", stores, "table",
         store(&ST::failed));
  AppendUserMetrics(&out, stats.metrics);
  const CheckpointStats& c = stats.checkpoints;
  if (c.enabled) {
    auto one = [&out](const char* name, const char* type, const char* help, double v) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
             name + " " + Number(v) + "\n";
    };
    one("sluice_checkpoints_completed_total", "counter", "Checkpoints written and published.",
        static_cast<double>(c.completed));
    one("sluice_checkpoints_failed_total", "counter",
        "Checkpoints that failed (the previous one stayed valid).", static_cast<double>(c.failed));
    one("sluice_checkpoint_last_id", "gauge", "The newest complete checkpoint.",
        static_cast<double>(c.last_id));
    one("sluice_checkpoint_last_duration_seconds", "gauge",
        "The newest checkpoint, from the pause to its publication.",
        static_cast<double>(c.last_duration_us) / 1e6);
    one("sluice_checkpoint_last_pause_seconds", "gauge",
        "How long the newest checkpoint paused the inputs.",
        static_cast<double>(c.last_pause_us) / 1e6);
    one("sluice_checkpoint_last_bytes", "gauge", "The newest checkpoint's size on disk.",
        static_cast<double>(c.last_bytes));
    one("sluice_checkpoint_age_seconds", "gauge",
        "Since the newest complete checkpoint (-1: none yet).",
        c.last_age_ms < 0 ? -1.0 : static_cast<double>(c.last_age_ms) / 1e3);
    one("sluice_checkpoint_restore_seconds", "gauge",
        "Reading and restoring the checkpoint the app started from (0: it started empty).",
        static_cast<double>(c.restore_us) / 1e6);
  }
  return out;
}

std::string HealthJson(const AppStats& stats, int* http_status) {
  int lowest = 100;
  std::string parts;
  auto add = [&](const char* kind, const std::string& name, int health) {
    lowest = std::min(lowest, health);
    if (!parts.empty()) parts += ",";
    parts += std::string("{\"") + kind + "\":\"" + Label(name) +
             "\",\"health\":" + std::to_string(health) + "}";
  };
  for (const StreamStats& s : stats.streams)
    if (s.async) add("stream", s.name, s.health);
  for (const QueryStats& q : stats.queries) add("query", q.name, q.health);
  // The seed's bands: below 50 unhealthy, below 80 degraded.
  const char* status = lowest < 50 ? "unhealthy" : lowest < 80 ? "degraded" : "ok";
  *http_status = lowest < 50 ? 503 : 200;
  return std::string("{\"status\":\"") + status + "\",\"health\":" + std::to_string(lowest) +
         ",\"parts\":[" + parts + "]}\n";
}

std::string ReadyJson(const AppStats& stats, int* http_status) {
  bool ready = true;
  std::string tables;
  for (const TableLoadStats& t : stats.tables) {
    ready = ready && t.state == "ready";
    if (!tables.empty()) tables += ",";
    tables += "{\"table\":\"" + Label(t.table) + "\",\"state\":\"" + t.state +
              "\",\"rows\":" + std::to_string(t.rows) + "}";
  }
  *http_status = ready ? 200 : 503;
  return std::string("{\"ready\":") + (ready ? "true" : "false") + ",\"tables\":[" + tables +
         "]}\n";
}

}  // namespace sluice::server
