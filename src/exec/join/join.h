// The operator of a join query (DIALECT.md "Joins"; Siddhi's join semantics where it is silent).
// Each side passes its arrivals through its filter and window and holds what the window holds;
// an event that enters a side's window (or, without a window, arrives) probes what the other side
// holds, and every pair that satisfies ON becomes a joined row (the left side's attributes, then
// the right side's), timestamped with the arriving event. An outer side's arrival with no match
// gives one row with NULLs for the other side. A table side holds its table's rows and never
// triggers (a stream-table join looks rows up). Joined rows go to `rest`: the query's WHERE,
// grouping and projection, run by the usual operators over the joined row. An arrival that finds
// no row in a table is answered as @join(missing) says (plan::MissingRowPlan): skipped, with
// NULLs, with defaults, a failure of the app, or held and looked up again on the clock.
// A table that lives in a store (exec/table_cache.h) is looked up once per arriving batch, as
// staged work (exec/staged_work.h): the store answers with no lock held, then the batch arrives.
#pragma once

#include <deque>
#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "exec/expression.h"
#include "exec/multi_stream_op.h"
#include "exec/operator.h"
#include "exec/query_op.h"
#include "exec/table.h"
#include "exec/window.h"
#include "plan/plan.h"

namespace sluice::exec {

class JoinOp final : public MultiStreamOp, public StagedWork {
 public:
  // `rest` reads joined rows (plan.input is the joined row); `rest_timed` is its time-driven
  // work, or null. `driven_by_clock`: OnTime moves the sides' windows.
  // `tables`: per side, the table it looks up, or null for a stream.
  static Result<std::unique_ptr<JoinOp>> Make(const plan::QueryPlan& plan, QueryEnv env,
                                              BatchConsumer* rest, TimedWork* rest_timed,
                                              bool driven_by_clock, const Table* tables[2]);
  // What subscribes to each side's stream.
  BatchConsumer* left() { return &ports_[0]; }
  BatchConsumer* right() { return &ports_[1]; }
  // Looks up what the staged batches need in the table's store, then lets them arrive.
  void RunStaged() override;

 private:
  // An event a side holds: its identity and its slot in the side's window store (EventChunk).
  struct Held {
    uint64_t id;
    uint32_t slot;
  };
  static uint32_t SlotOf(const Held& h) { return h.slot; }
  static uint32_t SlotOf(uint32_t slot) { return slot; }
  struct Side {
    const plan::JoinSidePlan* plan = nullptr;
    size_t first_column = 0;  // in the joined row
    std::unique_ptr<VecExpr> filter;
    // null: the side holds nothing (or is a table). Its store keeps the events the side holds:
    // each is stored once, in the window.
    std::unique_ptr<Window> window;
    const Table* table = nullptr;  // a table side: its rows are what it holds
    std::deque<Held> held;         // what the window holds, oldest first
    // With equality keys in ON: what it holds by key values, oldest first per key, so that a
    // probe touches only the rows that can match.
    absl::flat_hash_map<std::string, std::vector<Held>> by_key;
    std::vector<int> key_columns;  // this side's attributes in the equality keys
    EventChunk chunk;
  };
  class Port final : public BatchConsumer {
   public:
    void Push(const Batch& batch) override { op->Receive(side, batch); }
    JoinOp* op = nullptr;
    int side = 0;
  };

  JoinOp(const plan::QueryPlan& plan, QueryEnv env, BatchConsumer* rest, TimedWork* rest_timed,
         bool driven_by_clock);
  Status Init();
  // A batch from side `side`'s stream: it arrives, or, when it looks a table in a store up, it
  // is staged for RunStaged.
  void Receive(int side, const Batch& batch);
  void Arrive(int side, const Batch& batch);
  // The cache of the table that arrivals on side `s` look up, when it lives in a store.
  TableCache* LookupCache(int s) const {
    return sides_[1 - s].table ? sides_[1 - s].table->cache() : nullptr;
  }
  // A lookup in the store failed: the batch's rows are lost (`arrivals` new ones, `waiting`
  // ones looked up again), and the app fails.
  void LookupFailed(const Status& st, size_t arrivals, size_t waiting);
  // Moves both windows to `now` and applies what they emit.
  void AdvanceLocked(int64_t now) override;
  int64_t DeadlineLocked() const override;
  void SnapshotLocked(StateWriter& w) const override;
  void RestoreLocked(StateReader& r) override;
  StateSize SizeLocked() const override;
  void ReleaseLookupsLocked() override { table_lock_ = {}; }
  // Applies a window's output to its side: entries, expiries, resets; entries probe.
  void Apply(int side, const EventChunk& chunk);
  // Pairs row `row` of `from`, arriving on `side` at `ts`, with what the other side holds.
  // `retried`: how many times it was looked up again already (@join(missing='retry')).
  void Probe(int side, const Batch& from, size_t row, int64_t ts, int64_t retried = 0);
  // Row `row` of `from`, arriving on side `s` at `ts`, found no row in the table on the other
  // side: answers it as @join(missing) says.
  void Missing(int s, const Batch& from, size_t row, int64_t ts, int64_t retried);
  // Looks up again the arrivals that wait whose time has come.
  void OnClockLocked(int64_t now) override;
  int64_t ClockDeadlineLocked() const override;
  // The input has ended: a waiting arrival is looked up once more, then answered.
  void EndInputLocked() override { input_ended_ = true; }
  // Pairs row `row` of `from` (arriving on side `s` at `ts`) with the other side's rows `[begin,
  // end)` of `store` whose equality keys match (`keys_equal`: known to, from the key index), into
  // candidates_.
  template <typename It>
  void BuildCandidates(int s, const Batch& from, size_t row, int64_t ts, const RowStore& store,
                       It begin, It end, bool keys_equal);
  int64_t Now() const { return env_.clock ? env_.clock->NowMillis() : 0; }

  const plan::QueryPlan& plan_;
  QueryEnv env_;
  Side sides_[2];
  Port ports_[2];
  std::unique_ptr<VecExpr> on_;
  // ON's equalities between a left and a right attribute (side-local indices): a held event is
  // a candidate only if they hold, checked in place before the whole condition runs.
  std::vector<std::pair<int, int>> equi_keys_;
  // Per side: when ON equates the other side (a table) to its whole primary key, this side's
  // attributes that give the key, in key order: the row is found in the table's index.
  std::vector<int> table_key_from_[2];
  std::vector<uint32_t> slots_;
  // The table side's lock, taken by the first probe of a batch and held until its rows go on
  // (Flush): once per batch, not per probed row; never while `rest` runs, which may write it.
  std::unique_lock<std::mutex> table_lock_;
  std::string key_;
  // Row `row` of `batch`'s values at `columns`, as a key (common/row_key.h) in key_.
  const std::string& KeyOf(const Batch& batch, size_t row, const std::vector<int>& columns);
  EvalContext ctx_;
  Batch candidates_;  // an arriving event paired with everything the other side holds
  std::vector<uint32_t> passing_;
  int64_t now_ = std::numeric_limits<int64_t>::min();
  // @join(missing): the table's row of defaults; the arrivals that wait for a row of the table
  // (of the stream side's schema), when each is looked up next and how often it was already.
  Batch defaults_;
  Batch waiting_, retrying_;
  std::vector<int64_t> waiting_due_, retrying_due_;
  std::vector<int64_t> waiting_retried_, retrying_retried_;
  bool failed_ = false;  // missing='fail' has failed the app
  bool input_ended_ = false;
  // The time of the tick that looks the waiting arrivals up again (the clock's, or the time
  // FinishInput steps to); kNever outside it: then the clock.
  int64_t retry_now_ = kNever;
  // With a table in a store: the arrivals staged for RunStaged, and the waiting arrivals due to
  // be looked up again (with how often they were), under stage_mu_; run_mu_ keeps them in order.
  std::mutex stage_mu_;
  Batch staged_, staged_retries_;
  std::vector<int64_t> staged_retried_;
  std::mutex run_mu_;
  Batch running_, running_retries_;
  std::vector<int64_t> running_retried_;
};

}  // namespace sluice::exec
