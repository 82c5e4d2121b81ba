#include "runtime/app_stats.h"

#include <algorithm>

namespace sluice::runtime {

StreamStats StreamStatsOf(const std::string& name, const StreamJunction& junction,
                          AsyncStream* async) {
  StreamStats st;
  st.name = name;
  st.events = junction.events();
  st.malformed = junction.malformed();
  if (!async) return st;
  AsyncStats a = async->Stats();
  st.async = true;
  st.queued = a.queued;
  st.dropped = a.dropped;
  st.left = a.left;
  st.backpressure = a.backpressure;
  st.overflowed = a.overflowed;
  st.queue_depth = a.depth;
  st.queue_capacity = a.capacity;
  st.queue_max_fill = a.max_fill;
  st.p50_us = static_cast<double>(a.p50_ns) / 1000;
  st.p95_us = static_cast<double>(a.p95_ns) / 1000;
  st.p99_us = static_cast<double>(a.p99_ns) / 1000;
  st.worker_events = a.worker_events;
  // The seed's rules: a queue over 80% full for a period (5 s), drops, events left behind.
  int h = 100;
  if (a.over_80_ms >= 5000) h -= 40;
  if (a.dropped || a.left) h -= 30;
  st.health = std::max(0, h);
  return st;
}

void AddPipelineStats(const exec::Pipeline& p, bool first, QueryStats* q) {
  exec::StateSize size = p.Size();
  const exec::QueryCounters& c = p.counters();
  if (first) {
    q->name = p.plan().name;
    q->id = p.plan().id;
    q->instances = 1;
    for (const exec::Pipeline::Operator& op : p.operators()) q->stateful |= op.state != nullptr;
  } else {
    ++q->instances;
  }
  q->state_keys += size.keys;
  q->state_bytes += size.bytes;
  q->events_in += c.events_in.load();
  q->events_out += c.events_out.load();
  q->rows_out += c.rows_out.load();
  q->filtered += c.filtered.load();
  q->faulted += c.faulted.load();
  q->dropped += c.dropped.load();
  q->errors += c.errors.load();
  q->late += c.late.load();
  q->p50_us = std::max(q->p50_us, static_cast<double>(c.latency.Percentile(0.50)) / 1000);
  q->p95_us = std::max(q->p95_us, static_cast<double>(c.latency.Percentile(0.95)) / 1000);
  q->p99_us = std::max(q->p99_us, static_cast<double>(c.latency.Percentile(0.99)) / 1000);
  // More than 5% of the events failing (the seed's error-rate rule).
  uint64_t failed = q->faulted + q->dropped + q->errors;
  q->health = q->events_in && failed * 20 > q->events_in ? 50 : 100;
}

}  // namespace sluice::runtime
