// The operator of a query with state: a window, grouping, aggregates, HAVING, ORDER BY / LIMIT,
// EMIT and output rate limiting (DIALECT.md "Windows"; Siddhi's selector semantics).
//
// Per input event: filter, then the window turns it into current / expired / reset events; each
// updates its group's aggregates incrementally. Per event (sliding windows, no window, EMIT
// CHANGES) every current or expired event gives an output row of its kind; when a window closes
// (batch windows, EMIT FINAL) the closing gives one row per group (the group's last event with its
// final aggregates), or every event when nothing aggregates. Rows then pass HAVING, ORDER BY and
// LIMIT (within what one event or one closing produced), the INSERT [EXPIRED|ALL] EVENTS choice,
// the projection, and the output rate.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "exec/aggregate/aggregate.h"
#include "exec/expression.h"
#include "exec/query_op.h"
#include "exec/window.h"

namespace sluice::exec {

class RateLimiter;

// The physical choices for a stateful query, made by the physical planning step
// (exec/pipeline.h, ChooseStatefulPath) from its plan: where its window's events live and how its
// aggregates are fed.
struct StatefulPath {
  enum class Kind {
    kGeneral,  // a window object (exec/window/) whose chunks feed the groups
    kRing,     // per event over no window or a FIFO sliding window: a columnar ring of each
               // event's group, time and aggregate arguments, output gathered from the input
    kBatch,    // a tumbling / lengthBatch window with one row per group: aggregates in place,
               // each group keeps only its latest event
  };
  Kind kind = Kind::kGeneral;
  int64_t ring_length = 0;   // kRing: events kept at most (0: no limit)
  int64_t ring_time = 0;     // kRing: time kept (0: no limit)
  bool update_late = false;  // 'late.data'='update': closed batches are kept for corrections
  const char* Name() const;  // for explain
};

class StatefulQueryOp final : public BatchConsumer, public TimedWork, public Stateful {
 public:
  // `driven_by_clock`: OnTime (the app's clock) may close windows; false when the input takes its
  // event time from an attribute and the clock is the wall clock.
  static Result<std::unique_ptr<StatefulQueryOp>> Make(const plan::QueryPlan& plan, QueryEnv env,
                                                       bool driven_by_clock, StatefulPath path);
  ~StatefulQueryOp() override;

  void Push(const Batch& in) override;
  void OnTime(int64_t now_ms) override;
  int64_t NextDeadline() const override;
  void EndInput() override;
  void Snapshot(StateWriter& w) const override;
  void Restore(StateReader& r) override;
  StateSize Size() const override;

 private:
  StatefulQueryOp(const plan::QueryPlan& plan, QueryEnv env, bool driven_by_clock);
  Status Init(StatefulPath path);
  void AdvanceWindow(int64_t watermark);
  // Feeds rows `sel` of `b` (kinds: per row of b, or null for all current) to grouping and
  // aggregation, appending output candidates to eval_.
  // `breaks`: where segments (one event's output, one closing) end, in dense positions.
  // `emit_ts`: when each row of b is emitted (null: at its own time).
  void Consume(const Batch& b, Selection sel, const EventKind* kinds, const int64_t* emit_ts,
               const std::vector<size_t>* breaks);
  // Consumes a window's chunk, each closing in it on its own.
  void ConsumeChunk(const EventChunk& chunk);
  // The group of dense row k of key_cols_, made if new; `ts` is its event's time (for the TTL).
  uint32_t GroupOf(size_t k, int64_t ts) {
    uint32_t g = FindGroup(k);
    if (ttl_ > 0) Touch(g, ts);
    return g;
  }
  uint32_t FindGroup(size_t k);
  void ResetGroups();

  // Bounded state (plan.state, Flink's state TTL and a key limit). A running group whose key has
  // been idle for ttl_ starts afresh when the key comes again; every group idle that long that
  // holds no event is dropped by a sweep (at most every ttl_/2 of event time), its id reused. A
  // new key when max_keys_ keys are held is refused: a failure routed like any other.
  int64_t ttl_ = 0;
  int64_t max_keys_ = 0;
  std::vector<int64_t> last_seen_;     // per group: its latest event (with a TTL)
  std::vector<uint32_t> free_groups_;  // ids of dropped groups, reset, for new keys
  int64_t next_sweep_ = std::numeric_limits<int64_t>::min();
  int64_t ttl_clock_ = std::numeric_limits<int64_t>::min();  // the latest event time seen
  uint64_t evicted_ = 0;
  bool direct_windowed() const { return ring_length_ > 0 || ring_time_ > 0; }
  bool Running() const;  // no window: a group is only its aggregates
  bool HoldsEvents(uint32_t g) const;
  void Touch(uint32_t g, int64_t ts);
  void ResetGroup(uint32_t g);
  void SweepIdleGroups();
  bool HasGroup(size_t k);
  // Rows of `sel` whose key is new once max_keys_ are held are routed as failures; the others.
  Selection RefuseNewKeys(const Batch& in, Selection sel);
  absl::flat_hash_set<std::string> new_keys_;
  std::vector<uint32_t> admitted_;
  std::vector<std::pair<uint32_t, std::string>> refused_;
  // Sets out_'s change kinds; `sel` gives the eval_ row of each of its rows.
  void SetChangeKinds(Selection sel);
  // An output candidate from row `row` of `b`, emitted at `ts`, with its group's aggregates.
  void WriteEvalRow(size_t pos, const Batch& b, size_t row, uint32_t group, int64_t ts);
  size_t AppendEvalRow(const Batch& b, size_t row, uint32_t group, EventKind kind, int64_t ts);
  // Turns the candidates in eval_ into output rows and pushes them.
  void Finish();
  // Pushes output rows into the target (stamped from the target's event-time attribute, if any).
  void Emit(Batch* rows);
  // Events the query did not take so far: filtered + faulted + dropped.
  uint64_t NotTaken() const;
  void HandleLate(const Batch& in, uint32_t row);

  // 'late.data'='update': the events of closed batches are kept for a while, keyed by the batch's
  // end; a late event joins its batch and its group's row is computed again and re-emitted.
  bool update_late_ = false;
  int64_t retention_ = 0;
  std::map<int64_t, Batch> retained_;  // batch end -> its events
  std::vector<std::unique_ptr<VecExpr>> update_keys_, update_args_;
  void RetainClosing(const Batch& b, Selection sel, const EventKind* kinds, int64_t end,
                     size_t from, size_t to);
  void DropRetained(int64_t watermark);
  bool UpdateLate(const Batch& in, uint32_t row);
  void RecomputeGroup(Batch* retained, int64_t end, const Batch& in, uint32_t row);

  // The direct path, for per-event output of current events over no window or a sliding length,
  // time or timeLength window: the window keeps only each event's group, time and aggregate
  // arguments (in a columnar ring), and output rows are gathered from the input batch, so no row
  // is copied event by event.
  void PushDirect(const Batch& in, Selection sel);
  // Group keys into key_cols_ and aggregate arguments into arg_cols_, over rows `sel` of `in`.
  void EvaluateKeysAndArguments(const Batch& in, Selection sel);
  void ExpireDirect(int64_t watermark);
  void RingPop();
  bool direct_ = false;
  int64_t ring_length_ = 0;  // events kept at most (0: no limit)
  int64_t ring_time_ = 0;    // time kept (0: no limit)
  struct Ring {
    std::vector<int64_t> ts;
    std::vector<uint32_t> group;
    std::vector<Column> args;  // one per aggregate
    size_t head = 0, size = 0, cap = 0;
  };
  Ring ring_;
  std::vector<uint32_t> kept_;
  std::vector<uint32_t> group_ids_;

  // The direct path for batch windows (timeBatch/TUMBLING, lengthBatch) that emit one row per
  // group when they close: aggregates update in place, each group keeps only its latest event.
  void PushBatchDirect(const Batch& in, Selection sel);
  void CloseBatchDirect(int64_t close_ts);
  bool batch_direct_ = false;
  bool batch_open_ = false;
  // timeBatch: the open batch [start, end) (saturated at the limits of BIGINT), aligned to origin.
  int64_t batch_start_ = 0, batch_end_ = 0, batch_origin_ = 0;
  void OpenBatchAt(int64_t ts);
  int64_t batch_count_ = 0;           // lengthBatch: events in the open batch
  std::unique_ptr<RowStore> latest_;  // a slot per group: its latest event
  std::vector<int64_t> latest_slot_;  // per group, -1 when none yet
  std::vector<uint32_t> touched_;     // groups with events in the open batch, first-seen order
  std::vector<uint32_t> touched_gen_;
  uint32_t batch_gen_ = 1;
  bool started_batches_ = false;

  mutable std::mutex mu_;  // Push and OnTime come from producer, worker and timer threads
  const plan::QueryPlan& plan_;
  QueryEnv env_;
  bool driven_by_clock_;      // guarded by mu_ (EndInput changes it)
  bool input_ended_ = false;  // EndInput was called
  // The time up to which windows may close: the latest event time less the allowed lateness.
  int64_t Watermark() const;
  bool per_event_;    // every event gives a row (vs one row per group when a window closes)
  bool aggregating_;  // aggregates or GROUP BY
  int64_t lateness_ = 0;

  std::unique_ptr<VecExpr> filter_;
  std::unique_ptr<Window> window_;
  std::vector<std::unique_ptr<VecExpr>> group_exprs_;
  std::vector<std::unique_ptr<VecExpr>> agg_args_;  // null for count()
  std::vector<std::unique_ptr<Aggregator>> aggs_;
  std::unique_ptr<VecExpr> having_;
  std::vector<std::unique_ptr<VecExpr>> order_exprs_;
  std::vector<std::unique_ptr<VecExpr>> projections_;

  EvalContext ctx_;         // over the input batch
  EvalContext chunk_ctx_;   // over window chunks
  EvalContext window_ctx_;  // keys for a window kept per group
  std::vector<uint32_t> selected_;
  EventChunk chunk_;
  Column no_arg_;  // the "argument" of count()

  // Groups: key bytes -> dense id, and how many events each holds in the window.
  absl::flat_hash_map<std::string, uint32_t> groups_;
  // One integer key (the common case): found without building key bytes.
  bool int_key_ = false;
  bool string_key_ = false;  // one STRING key: looked up by its bytes in groups_
  absl::flat_hash_map<int64_t, uint32_t> int_groups_;
  int64_t null_group_ = -1;
  uint32_t NewGroup();
  std::vector<int64_t> group_live_;
  std::string key_;
  std::vector<const Column*> key_cols_;
  std::vector<const Column*> arg_cols_;
  // When a window closes: where each group's current / expired row is in eval_ (by generation).
  std::vector<uint32_t> cur_pos_, exp_pos_, cur_gen_, exp_gen_;
  uint32_t generation_ = 0;

  // Output candidates: input attributes + aggregate values, with their kind, chunk and group.
  Schema eval_schema_;
  Batch eval_;
  std::vector<EventKind> eval_kinds_;
  std::vector<uint32_t> eval_chunk_;
  std::vector<uint32_t> eval_group_;
  std::vector<uint32_t> eval_corrections_;  // rows that correct a closed window (late update)
  // Per group: a row of it went out since its window (re)started, so the next one replaces it
  // (+U, not +I).
  std::vector<uint8_t> emitted_;
  uint32_t chunk_id_ = 0;
  EvalContext eval_ctx_;
  std::vector<uint32_t> out_rows_;
  std::vector<uint32_t> order_scratch_;
  std::vector<uint32_t> segment_;
  std::vector<int64_t> group_max_ts_;
  std::vector<uint32_t> group_gen_;

  Batch out_;
  std::unique_ptr<RateLimiter> rate_;
  Batch rated_;
  Schema fault_schema_;
  Batch faults_;
  int64_t max_ts_;
  bool uses_clock_ = false;  // an expression calls currentTimeMillis()
  uint64_t pushes_ = 0;
  int64_t Now() const { return uses_clock_ ? env_.clock->NowMillis() : 0; }
};

}  // namespace sluice::exec
