// The operator of a pattern query (DIALECT.md "Patterns and sequences"; Siddhi's semantics where
// it is silent). Partial matches wait at a step; an arriving event of that step's stream that
// satisfies the step's condition (its filter and the WHERE conjuncts bound there) moves them on,
// and a match that passes its last step becomes a matched row for `rest` (the query's projection
// and the operators after it). A NOT step passes when no such event comes within its FOR time.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "exec/expression.h"
#include "exec/multi_stream_op.h"
#include "exec/operator.h"
#include "exec/query_op.h"
#include "exec/window.h"
#include "plan/plan.h"

namespace sluice::exec {

class PatternOp final : public MultiStreamOp {
 public:
  // `rest` reads matched rows (plan.input is the matched row); `rest_timed` is its time-driven
  // work, or null. `driven_by_clock`: OnTime moves time (NOT ... FOR deadlines).
  static Result<std::unique_ptr<PatternOp>> Make(const plan::QueryPlan& plan, QueryEnv env,
                                                 BatchConsumer* rest, TimedWork* rest_timed,
                                                 bool driven_by_clock);
  // What subscribes to `stream` (one of plan.Sources()).
  BatchConsumer* port(const plan::StreamDef* stream);

 private:
  struct Partial {
    uint32_t slot;     // its row in store_
    size_t step;       // the step it waits at
    int count;         // events taken at that step
    int64_t start;     // time of its first event, when has_start
    int64_t deadline;  // at a NOT step: when it passes; kNever otherwise
    bool waiter;       // waits at the first step for a pattern that restarts (EVERY) or starts
    uint64_t seq;      // when it started: partials are tried, and matches emitted, in this order
    bool has_start;    // it has taken an event (times may be negative: no sentinel value)
  };
  class Port final : public BatchConsumer {
   public:
    void Push(const Batch& batch) override { op->Arrive(*this, batch); }
    PatternOp* op = nullptr;
    const plan::StreamDef* stream = nullptr;
    size_t index = 0;              // in ports_
    std::vector<int> key_columns;  // PARTITION BY, in this stream
  };
  // One running pattern (all of it without PARTITION BY, else one per key value): its partial
  // matches, indexed so that an event, a NOT deadline or a WITHIN expiry touches only the partials
  // it can change, never all of them.
  struct Instance {
    absl::flat_hash_map<uint64_t, Partial> by_seq;              // every partial, by start order
    std::vector<absl::btree_set<uint64_t>> by_port;             // per port: partials it may move
    absl::btree_set<std::pair<int64_t, uint64_t>> by_deadline;  // NOT steps: (deadline, seq)
    absl::btree_set<std::pair<int64_t, uint64_t>> by_start;     // with WITHIN: (start, seq)
    bool started = false;
    int64_t deadline = kNever;                                 // its earliest NOT deadline
    int64_t last_event = std::numeric_limits<int64_t>::min();  // for the state TTL
  };

  PatternOp(const plan::QueryPlan& plan, QueryEnv env, BatchConsumer* rest, TimedWork* rest_timed,
            bool driven_by_clock);
  Status Init();
  void Arrive(const Port& port, const Batch& batch);
  Instance* InstanceFor(const Port& port, const Batch& batch, size_t row);
  // Makes `instance` the one that the steps below work on; Leave notes its earliest deadline.
  void Enter(Instance* instance) { cur_ = instance; }
  void Leave(Instance* instance);
  // Time moved to `now`: every instance with a NOT deadline due by then advances.
  void AdvanceLocked(int64_t now) override;
  int64_t DeadlineLocked() const override;
  void EndInputLocked() override { input_ended_ = true; }
  void SnapshotLocked(StateWriter& w) const override;
  void RestoreLocked(StateReader& r) override;
  StateSize SizeLocked() const override;
  void SnapshotInstance(StateWriter& w, const Instance& in) const;
  void RestoreInstance(StateReader& r, Instance* in);
  // Starts the pattern at `now` the first time time is seen.
  void StartIfNeeded(int64_t now);
  void AddWaiter(int64_t now);
  // The ports whose events may move `p` on (usually one).
  void PortsOf(const Partial& p, std::vector<size_t>* ports) const;
  // Puts `p` into the current instance's indexes, or takes the partial `seq` out of them.
  void Insert(const Partial& p);
  Partial Take(uint64_t seq);
  // Moves the current instance to `now`: matches expire (WITHIN), NOT steps pass, in deadline
  // order.
  void AdvanceTo(int64_t now);
  void Expire(int64_t now);
  // Partial `p` (its row and count already updated at `ts`): a match if its last step has its
  // minimum, else on to the next step when its current one is full; what still waits goes into
  // `next`.
  void Settle(Partial p, int64_t ts, std::vector<Partial>* next);
  void Match(const Batch& event, const Port& port, size_t row);

  const plan::QueryPlan& plan_;
  const plan::PatternPlan& pattern_;
  QueryEnv env_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::vector<std::unique_ptr<VecExpr>> conditions_;  // per step; null: any event
  // Per step: its condition's equalities between an attribute of the arriving event (index in
  // its stream) and a column of the row so far, checked in place before the condition runs.
  std::vector<std::vector<std::pair<int, int>>> equi_keys_;
  std::vector<std::unique_ptr<VecExpr>> joint_conditions_;  // per step; see PatternStepPlan
  RowStore store_;
  Instance* cur_ = nullptr;  // the instance being worked on
  bool partitioned_ = false;
  std::vector<std::unique_ptr<Instance>> instances_;  // in the order their keys first came
  absl::flat_hash_map<std::string, Instance*> by_key_;
  std::string key_;
  // Bounded state (plan.state): WITHIN at most the TTL; partitions idle for the TTL are dropped
  // by a sweep (at most every TTL/2 of time); a new partition past max_keys is refused.
  int64_t within_ms_ = -1;
  int64_t next_sweep_ = std::numeric_limits<int64_t>::min();
  void DropIdlePartitions();
  std::vector<std::pair<uint32_t, std::string>> refused_;  // rows of the batch being matched
  uint64_t next_seq_ = 1;
  int64_t next_deadline_ = kNever;  // the earliest NOT deadline of any instance
  int64_t now_ = std::numeric_limits<int64_t>::min();
  bool input_ended_ = false;  // NOT steps at the start wait for no more silences
  bool event_taken_ = false;  // an element's condition took the event being matched
  size_t taken_ = 0;          // events of the batch being matched that were taken
  EvalContext ctx_;
  Batch nulls_;       // one row of NULLs: a fresh partial
  Batch candidates_;  // waiting partials with the arriving event in their step's columns
  // Reused per event, so that matching allocates nothing in steady state.
  struct Option {
    size_t partial;  // index in partials_
    size_t step;     // the step that would take the event
    bool move_on;    // to the partial's next step (else at its current one)
    int side_bit;    // a side of an AND / OR: 1 (its first step) or 2; 0 otherwise
    bool pass;       // the step's condition holds (set after evaluation)
  };
  std::vector<Option> options_;  // one per candidate row, in partial order
  std::vector<uint32_t> rows_;
  std::vector<Partial> partials_;  // the partials an event may move, taken out, in start order
  std::vector<Partial> next_;
  std::vector<Partial> spawned_;
  std::vector<uint64_t> seqs_;
  std::vector<size_t> ports_scratch_;
};

}  // namespace sluice::exec
