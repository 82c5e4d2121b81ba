// A table (CREATE TABLE): rows that queries write (INSERT, UPDATE, DELETE, UPDATE OR INSERT) and
// that joins look up. A table with a PRIMARY KEY holds one row per key, indexed by it; one without
// keeps every row inserted. Callers lock mu() around each batch of reads or writes.
#pragma once

#include <atomic>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "exec/expression.h"
#include "exec/query_op.h"
#include "exec/staged_work.h"
#include "exec/table_cache.h"
#include "exec/window.h"
#include "plan/plan.h"

namespace sluice::exec {

class Table {
 public:
  explicit Table(const plan::StreamDef& def);
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const plan::StreamDef& def() const { return def_; }
  // For a table that lives in a store (exec/table_cache.h): its cache, once the app has started
  // and connected it; null for a table whose rows are all here.
  TableCache* cache() const { return cache_.load(std::memory_order_acquire); }
  void SetCache(TableCache* cache) { cache_.store(cache, std::memory_order_release); }
  std::mutex& mu() const { return mu_; }
  bool has_key() const { return !def_.primary_key.empty(); }

  // The rest requires mu().
  // Adds row `row` of `in` (the table's schema); false, and nothing added, when a row with its
  // key is already there.
  bool Insert(const Batch& in, size_t row);
  // Replaces the row in `slot`; false, and nothing changed, when its new key belongs to another.
  bool Replace(uint32_t slot, const Batch& in, size_t row);
  void Erase(uint32_t slot);
  // The slot of the row whose key equals columns `columns` of row `row` of `in`; -1 if none.
  int64_t Find(const Batch& in, size_t row, const std::vector<int>& columns) const;
  // The slot of the row whose key (common/row_key.h, of the primary key's columns) is `key`.
  int64_t FindKey(const std::string& key) const;
  // Live rows, in a deterministic order (insertion order, with erased rows' places reused).
  const std::vector<uint32_t>& rows() const { return live_; }
  const RowStore& store() const { return store_; }
  // Its rows (exec/state/state_io.h); the key index is rebuilt from them.
  void Snapshot(StateWriter& w) const;
  void Restore(StateReader& r);
  // Whether `data` (what Snapshot wrote) fits this table: same columns and key. Reads only its
  // head; the error says what changed.
  Status Fits(std::string_view data) const;

 private:
  void KeyOfSlot(uint32_t slot, std::string* key) const;

  const plan::StreamDef& def_;
  std::atomic<TableCache*> cache_{nullptr};
  mutable std::mutex mu_;
  RowStore store_;
  std::vector<uint32_t> live_;
  std::vector<uint32_t> position_;  // slot -> index in live_
  absl::flat_hash_map<std::string, uint32_t> index_;
  mutable std::string key_;
  Batch one_;  // a slot's row, to compute its key
};

// Copies rows of `table` into a batch of its schema, taking its lock: the row whose primary key is
// `key` (one value per key column, converted as InputHandler::Send converts), or every row up to
// `limit` when `key` is empty. The error says why a key does not fit.
Result<Batch> ReadRows(const Table& table, std::span<const Value> key, size_t limit);

// The end of a query that writes a table: each output row is inserted, or finds the rows it
// writes (by key when ON names the whole primary key, else by evaluating ON over every row) and
// updates or deletes them; UPDATE OR INSERT inserts when it finds none. A row that would give a
// table two rows with one key is not written: counted as dropped, and logged.
// A table that lives in a store (exec/table_cache.h) is written as staged work: the rows a batch
// writes are looked up first, with no lock held, then written into the cache and to the store.
class TableWriteOp final : public BatchConsumer, public StagedWork {
 public:
  // `changelog`: where the table's changes go (+I, -U and +U, -D; its stream), or null.
  static Result<std::unique_ptr<TableWriteOp>> Make(const plan::QueryPlan& plan, Table* table,
                                                    QueryEnv env, BatchConsumer* changelog);
  void Push(const Batch& rows) override;
  void RunStaged() override;

 private:
  TableWriteOp(const plan::QueryPlan& plan, Table* table, QueryEnv env);
  // Writes `rows` into the table, recording each change in changes_. Requires the table's lock.
  void WriteLocked(const Batch& rows);
  // Records the row in `slot` as it is before it changes (-U) or goes (-D).
  void RecordOld(uint32_t slot, int64_t ts, ChangeKind kind);
  void InsertRow(const Batch& rows, size_t r);
  void Reject(const Batch& rows, size_t r, const std::string& why);
  // Sends changes_ to the table's changelog.
  void SendChanges();
  // Whether rows `a` and `b` of `rows` (of the table's schema) have one key.
  bool SameKey(const Batch& rows, size_t a, size_t b) const;

  const plan::QueryPlan& plan_;
  const plan::TableWritePlan& write_;
  Table* table_;
  QueryEnv env_;
  std::unique_ptr<VecExpr> on_;
  std::vector<std::unique_ptr<VecExpr>> sets_;
  EvalContext ctx_;
  Batch candidates_;  // an output row beside each table row it may write
  Batch row_;         // a table row being built
  BatchConsumer* changelog_ = nullptr;
  Batch changes_;  // of the table's schema, with change kinds
  std::vector<uint32_t> slots_, matched_;
  std::vector<const Column*> values_;  // SET results
  // A table in a store: rows staged for RunStaged (under stage_mu_; run_mu_ keeps batches in
  // order).
  std::mutex stage_mu_;
  Batch staged_;
  std::mutex run_mu_;
  Batch running_;
};

// The end of a table's source (runtime/table_loader.h): what it reads is a changelog by primary
// key, as a compacted Kafka topic is. A row of kind insert or update-after replaces the row with
// its key, or adds it; a delete or update-before row (a tombstone) removes it. A row whose key
// is NULL is not loaded: counted in rejected(). The table's changes go to `changelog`.
class TableLoadOp final : public BatchConsumer {
 public:
  TableLoadOp(Table* table, BatchConsumer* changelog);
  void Push(const Batch& rows) override;
  // Rows not loaded because of a NULL key, so far. From the loading thread.
  uint64_t rejected() const { return rejected_; }

 private:
  Table* table_;
  BatchConsumer* changelog_;
  Batch changes_;  // of the table's schema, with change kinds
  uint64_t rejected_ = 0;
};

}  // namespace sluice::exec
