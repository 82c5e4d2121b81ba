// The state of a stateful query (Core 2's state contract): its groups and their aggregates, its
// window, the direct paths' rings and batches, the batches kept for late updates, the output rate,
// and its clock. What is rebuilt on every push (evaluation rows, positions by generation) is not
// part of it.
#include "exec/rate_limiter.h"
#include "exec/stateful_query_op.h"

namespace sluice::exec {

void StatefulQueryOp::Snapshot(StateWriter& w) const {
  std::lock_guard<std::mutex> lock(mu_);
  w.Section("query/stateful", 2);
  w.I64(max_ts_);
  w.Bool(driven_by_clock_);
  w.Bool(input_ended_);
  // Groups: every key's dense id, and how many events each holds.
  w.Vec(group_live_);
  w.Vec(emitted_);
  w.U64(groups_.size());
  for (const auto& [key, id] : groups_) {
    w.Str(key);
    w.U32(id);
  }
  w.U64(int_groups_.size());
  for (const auto& [key, id] : int_groups_) {
    w.I64(key);
    w.U32(id);
  }
  w.I64(null_group_);
  // Bounded state: when each group was last seen, the dropped ids, the next sweep.
  w.Vec(last_seen_);
  w.Vec(free_groups_);
  w.I64(next_sweep_);
  w.I64(ttl_clock_);
  w.U64(evicted_);
  for (const auto& a : aggs_) a->Snapshot(w);
  w.Bool(window_ != nullptr);
  if (window_) window_->Snapshot(w);
  // The direct path's ring of kept events.
  w.U64(ring_.cap);
  w.U64(ring_.head);
  w.U64(ring_.size);
  w.Vec(ring_.ts);
  w.Vec(ring_.group);
  w.U64(ring_.args.size());
  for (const Column& c : ring_.args) w.WriteColumn(c);
  // The direct path's open batch.
  w.Bool(batch_open_);
  w.I64(batch_start_);
  w.I64(batch_end_);
  w.I64(batch_origin_);
  w.I64(batch_count_);
  w.Bool(started_batches_);
  w.Bool(latest_ != nullptr);
  if (latest_) latest_->Snapshot(w);
  w.Vec(latest_slot_);
  w.Vec(touched_);
  w.Vec(touched_gen_);
  w.U32(batch_gen_);
  // Closed batches kept for 'late.data'='update'.
  w.U64(retained_.size());
  for (const auto& [end, batch] : retained_) {
    w.I64(end);
    w.WriteBatch(batch);
  }
  w.Bool(rate_ != nullptr);
  if (rate_) rate_->Snapshot(w);
}

StateSize StatefulQueryOp::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  StateSize size;
  size_t groups = group_live_.size() - free_groups_.size();
  size.keys = group_exprs_.empty() ? (aggregating_ ? 1 : 0) : groups;
  // Per group: its id's entries in the per-group arrays and about 16 bytes per aggregate.
  size.bytes = group_live_.size() * (sizeof(int64_t) * 2 + 16 * aggs_.size() + 20);
  for (const auto& [key, id] : groups_) size.bytes += sizeof(key) + key.capacity() + sizeof(id);
  size.bytes += int_groups_.size() * (sizeof(int64_t) + sizeof(uint32_t));
  if (window_) size.bytes += window_->store().bytes();
  if (latest_) size.bytes += latest_->bytes();
  size.bytes += ring_.cap * (sizeof(int64_t) + sizeof(uint32_t) + 9 * ring_.args.size());
  for (const auto& [end, batch] : retained_)
    size.bytes += batch.num_rows() * (8 + 9 * batch.num_columns()) + batch.arena().bytes_used();
  return size;
}

void StatefulQueryOp::Restore(StateReader& r) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!r.Section("query/stateful", 2)) return;
  max_ts_ = r.I64();
  driven_by_clock_ = r.Bool();
  input_ended_ = r.Bool();
  group_live_ = r.Vec<int64_t>();
  emitted_ = r.Vec<uint8_t>();
  size_t groups = group_live_.size();
  groups_.clear();
  uint64_t n = r.Size(12);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string key = r.Str();
    groups_[key] = r.U32();
  }
  int_groups_.clear();
  n = r.Size(12);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    int64_t key = r.I64();
    int_groups_[key] = r.U32();
  }
  null_group_ = r.I64();
  last_seen_ = r.Vec<int64_t>();
  free_groups_ = r.Vec<uint32_t>();
  next_sweep_ = r.I64();
  ttl_clock_ = r.I64();
  evicted_ = r.U64();
  for (uint32_t id : free_groups_)
    if (id >= groups) return r.Fail("a query's dropped groups are not among its groups");
  for (auto& a : aggs_) a->Restore(r);
  if (r.Bool() != (window_ != nullptr)) return r.Fail("a query's window differs from its state's");
  if (window_) window_->Restore(r);
  ring_.cap = r.U64();
  ring_.head = r.U64();
  ring_.size = r.U64();
  ring_.ts = r.Vec<int64_t>();
  ring_.group = r.Vec<uint32_t>();
  uint64_t args = r.Size(11);
  if (r.ok() && ring_.cap > 0 && args != aggs_.size())
    return r.Fail("a query's aggregates differ from its state's");
  ring_.args.clear();
  for (uint64_t i = 0; i < args && r.ok(); ++i) {
    const plan::AggregatePlan& a = plan_.aggregates[i];
    ring_.args.emplace_back(a.arg ? a.arg->type : DataType::Bool());
    r.ReadColumn(&ring_.args.back());
  }
  if (r.ok() && (ring_.ts.size() != ring_.cap || ring_.head > ring_.cap || ring_.size > ring_.cap))
    return r.Fail("a query's ring of events does not add up");
  batch_open_ = r.Bool();
  batch_start_ = r.I64();
  batch_end_ = r.I64();
  batch_origin_ = r.I64();
  batch_count_ = r.I64();
  started_batches_ = r.Bool();
  if (r.Bool() != (latest_ != nullptr)) return r.Fail("a query's batches differ from its state's");
  if (latest_) latest_->Restore(r);
  latest_slot_ = r.Vec<int64_t>();
  touched_ = r.Vec<uint32_t>();
  touched_gen_ = r.Vec<uint32_t>();
  batch_gen_ = r.U32();
  retained_.clear();
  n = r.Size(16);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    int64_t end = r.I64();
    r.ReadBatch(&retained_[end]);
  }
  if (r.Bool() != (rate_ != nullptr))
    return r.Fail("a query's output rate differs from its state's");
  if (rate_) rate_->Restore(r);
  // What is positioned by generation starts afresh, sized to the groups.
  generation_ = 1;
  cur_pos_.assign(groups, 0);
  exp_pos_.assign(groups, 0);
  cur_gen_.assign(groups, 0);
  exp_gen_.assign(groups, 0);
  group_max_ts_.assign(groups, 0);
  group_gen_.assign(groups, 0);
  for (uint32_t id : touched_)
    if (id >= groups) return r.Fail("a query's batch refers to a group it does not have");
}

}  // namespace sluice::exec
