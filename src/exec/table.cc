#include "exec/table.h"

#include "common/convert.h"
#include "common/row_key.h"

namespace sluice::exec {

Table::Table(const plan::StreamDef& def) : def_(def), store_(def.schema), one_(def.schema) {
  one_.Resize(1);
}

void Table::KeyOfSlot(uint32_t slot, std::string* key) const {
  Batch& one = const_cast<Batch&>(one_);
  one.Clear();
  one.Resize(1);
  store_.CopyTo(slot, &one, 0);
  key->clear();
  for (int c : def_.primary_key) AppendValueKey(one.column(static_cast<size_t>(c)), 0, key);
}

int64_t Table::Find(const Batch& in, size_t row, const std::vector<int>& columns) const {
  key_.clear();
  for (int c : columns) AppendValueKey(in.column(static_cast<size_t>(c)), row, &key_);
  auto it = index_.find(key_);
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

int64_t Table::FindKey(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

bool Table::Insert(const Batch& in, size_t row) {
  std::string key;
  if (has_key()) {
    for (int c : def_.primary_key) AppendValueKey(in.column(static_cast<size_t>(c)), row, &key);
    if (index_.contains(key)) return false;
  }
  uint32_t slot = store_.Add(in, row, in.timestamp(row));
  if (position_.size() <= slot) position_.resize(slot + 1);
  position_[slot] = static_cast<uint32_t>(live_.size());
  live_.push_back(slot);
  if (has_key()) index_.emplace(std::move(key), slot);
  return true;
}

bool Table::Replace(uint32_t slot, const Batch& in, size_t row) {
  if (has_key()) {
    std::string old_key, new_key;
    KeyOfSlot(slot, &old_key);
    for (int c : def_.primary_key) AppendValueKey(in.column(static_cast<size_t>(c)), row, &new_key);
    if (new_key != old_key) {
      if (index_.contains(new_key)) return false;
      index_.erase(old_key);
      index_.emplace(std::move(new_key), slot);
    }
  }
  store_.Overwrite(slot, in, row, in.timestamp(row));
  return true;
}

void Table::Erase(uint32_t slot) {
  if (has_key()) {
    KeyOfSlot(slot, &key_);
    index_.erase(key_);
  }
  uint32_t at = position_[slot];
  uint32_t moved = live_.back();
  live_[at] = moved;
  position_[moved] = at;
  live_.pop_back();
  store_.Free(slot);
}

namespace {

std::string TableShape(const plan::StreamDef& def) {
  std::string shape = def.schema.ToString() + " PRIMARY KEY (";
  for (size_t i = 0; i < def.primary_key.size(); ++i)
    shape += (i ? ", " : "") + def.schema.field(static_cast<size_t>(def.primary_key[i])).name;
  return shape + ")";
}

}  // namespace

void Table::Snapshot(StateWriter& w) const {
  w.Section("table", 2);
  w.Str(TableShape(def_));
  store_.Snapshot(w);
  w.Vec(live_);
}

Status Table::Fits(std::string_view data) const {
  StateReader r(data);
  uint32_t version = r.Section("table", 2);
  if (version < 2) return r.status();
  std::string saved = r.Str(), now = TableShape(def_);
  RETURN_IF_ERROR(r.status());
  if (saved != now)
    return Status::InvalidArgument("its columns changed: it was " + saved + ", it is " + now);
  return Status::OK();
}

void Table::Restore(StateReader& r) {
  uint32_t version = r.Section("table", 2);
  if (!version) return;
  if (version >= 2 && r.Str() != TableShape(def_))
    return r.Fail("the table's columns changed since its state was saved");
  store_.Restore(r);
  live_ = r.Vec<uint32_t>();
  position_.assign(store_.capacity(), 0);
  index_.clear();
  for (size_t i = 0; i < live_.size() && r.ok(); ++i) {
    uint32_t slot = live_[i];
    if (slot >= store_.capacity()) return r.Fail("a table refers to a row it does not have");
    position_[slot] = static_cast<uint32_t>(i);
    if (!has_key()) continue;
    KeyOfSlot(slot, &key_);
    index_.emplace(key_, slot);
  }
}

Result<std::unique_ptr<TableWriteOp>> TableWriteOp::Make(const plan::QueryPlan& plan, Table* table,
                                                         QueryEnv env, BatchConsumer* changelog) {
  std::unique_ptr<TableWriteOp> op(new TableWriteOp(plan, table, std::move(env)));
  op->changelog_ = changelog;
  op->changes_.Reset(table->def().schema);
  const plan::TableWritePlan& write = *plan.table_write;
  if (write.on) {
    ASSIGN_OR_RETURN(op->on_, Compile(*write.on));
  }
  for (const auto& [column, value] : write.sets) {
    ASSIGN_OR_RETURN(std::unique_ptr<VecExpr> e, Compile(*value));
    op->sets_.push_back(std::move(e));
  }
  Schema both = write.output->schema;
  for (const Field& f : write.table->schema.fields()) both.Add(f.name, f.type);
  op->candidates_.Reset(both);
  op->row_.Reset(write.table->schema);
  op->staged_.Reset(write.output->schema);
  op->running_.Reset(write.output->schema);
  return op;
}

TableWriteOp::TableWriteOp(const plan::QueryPlan& plan, Table* table, QueryEnv env)
    : plan_(plan), write_(*plan.table_write), table_(table), env_(std::move(env)) {}

void TableWriteOp::Reject(const Batch& rows, size_t r, const std::string& why) {
  // Counted as output by the query when it left it: a dropped row instead.
  env_.counters->rows_out.fetch_sub(1, std::memory_order_relaxed);
  if (env_.rows_are_events) {
    env_.counters->events_out.fetch_sub(1, std::memory_order_relaxed);
    env_.counters->dropped.fetch_add(1, std::memory_order_relaxed);
  } else {
    env_.counters->errors.fetch_add(1, std::memory_order_relaxed);
  }
  LogFailure(env_.counters, "query " + plan_.name + ": a row for table '" + table_->def().name +
                                "' (ts " + std::to_string(rows.timestamp(r)) +
                                ") was not written: " + why);
}

void TableWriteOp::InsertRow(const Batch& rows, size_t r) {
  row_.Clear();
  size_t at = row_.AddRow(rows.timestamp(r));
  row_.CopyRowInto(rows, r, at, 0);  // the output row has the table's columns
  if (!table_->Insert(row_, at)) return Reject(rows, r, "its key is already in the table");
  changes_.AppendRow(row_, at);
}

bool TableWriteOp::SameKey(const Batch& rows, size_t a, size_t b) const {
  for (int c : table_->def().primary_key) {
    const Column& col = rows.column(static_cast<size_t>(c));
    std::string ka, kb;
    AppendValueKey(col, a, &ka);
    AppendValueKey(col, b, &kb);
    if (ka != kb) return false;
  }
  return true;
}

void TableWriteOp::RecordOld(uint32_t slot, int64_t ts, ChangeKind kind) {
  size_t at = changes_.AddRow(ts);
  table_->store().CopyTo(slot, &changes_, at);
  changes_.SetKind(at, kind);
}

void TableWriteOp::Push(const Batch& rows) {
  if (table_->cache()) {
    std::lock_guard<std::mutex> lock(stage_mu_);
    staged_.AppendRows(rows, 0, rows.num_rows());
    StageWork(this);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(table_->mu());
    WriteLocked(rows);
  }
  SendChanges();
}

void TableWriteOp::RunStaged() {
  std::lock_guard<std::mutex> order(run_mu_);
  {
    std::lock_guard<std::mutex> lock(stage_mu_);
    std::swap(staged_, running_);
    staged_.Clear();
  }
  TableCache* cache = table_->cache();
  if (running_.num_rows() == 0 || !cache) return;
  // The rows it may write are looked up first: an INSERT finds whether its key is taken, an
  // UPDATE the row it changes.
  const std::vector<int>& key = table_->def().primary_key;
  TableCache::Pins pins;
  Status st =
      cache->Acquire(running_, write_.kind == plan::TableWriteKind::kInsert ? key : write_.key_from,
                     /*refresh=*/false, &pins);
  if (st.ok() && write_.kind == plan::TableWriteKind::kUpsert && write_.key_from != key)
    st = cache->Acquire(running_, key, /*refresh=*/false, &pins);
  if (!st.ok()) {
    cache->Release(&pins);
    size_t n = running_.num_rows();
    env_.counters->rows_out.fetch_sub(n, std::memory_order_relaxed);
    if (env_.rows_are_events) {
      env_.counters->events_out.fetch_sub(n, std::memory_order_relaxed);
      env_.counters->dropped.fetch_add(n, std::memory_order_relaxed);
    } else {
      env_.counters->errors.fetch_add(n, std::memory_order_relaxed);
    }
    LogFailure(env_.counters, "query " + plan_.name + ": " + std::to_string(n) +
                                  " row(s) for table '" + table_->def().name +
                                  "' were not written: " + st.message());
    if (env_.fail) env_.fail(st);
    running_.Clear();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(table_->mu());
    cache->Writing();
    WriteLocked(running_);
    for (size_t i = 0; i < changes_.num_rows(); ++i) cache->Wrote(changes_, i);
  }
  cache->Release(&pins);
  running_.Clear();
  SendChanges();  // to the changelog, whose sink writes the store
  cache->Pushed();
}

void TableWriteOp::SendChanges() {
  // With the table unlocked: what reads the changelog may read the table. For a table in a
  // store, the changelog's sink is what writes the store.
  if (changes_.num_rows() > 0 && changelog_) changelog_->Push(changes_);
  changes_.Clear();
}

void TableWriteOp::WriteLocked(const Batch& rows) {
  using K = plan::TableWriteKind;
  const size_t width = write_.output->schema.size();
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    if (write_.kind == K::kInsert) {
      InsertRow(rows, r);
      continue;
    }
    // The rows it may write: the one with its key, or all of them.
    slots_.clear();
    if (!write_.key_from.empty()) {
      int64_t slot = table_->Find(rows, r, write_.key_from);
      if (slot >= 0) slots_.push_back(static_cast<uint32_t>(slot));
    } else {
      slots_ = table_->rows();
    }
    candidates_.Clear();
    for (uint32_t slot : slots_) {
      size_t at = candidates_.AddRow(rows.timestamp(r));
      candidates_.CopyRowInto(rows, r, at, 0);
      table_->store().CopyTo(slot, &candidates_, at, width);
    }
    matched_.clear();
    Selection all = Selection::All(candidates_.num_rows());
    if (on_ && candidates_.num_rows() > 0) {
      int64_t now = env_.clock ? env_.clock->NowMillis() : rows.timestamp(r);
      const Column& keep = EvalCondition(*on_, ctx_, now, candidates_, all, &env_.counters->errors);
      for (size_t k = 0; k < candidates_.num_rows(); ++k)
        if (IsTrue(keep, k)) matched_.push_back(static_cast<uint32_t>(k));
    } else {
      for (size_t k = 0; k < candidates_.num_rows(); ++k)
        matched_.push_back(static_cast<uint32_t>(k));
    }
    if (matched_.empty()) {
      if (write_.kind == K::kUpsert) InsertRow(rows, r);
      continue;
    }
    if (write_.kind == K::kDelete) {
      for (uint32_t k : matched_) {
        RecordOld(slots_[k], rows.timestamp(r), ChangeKind::kDelete);
        table_->Erase(slots_[k]);
      }
      continue;
    }
    // UPDATE (OR INSERT): the SET values over the matched rows; without SET, the output row.
    std::vector<const Column*>& values = values_;
    values.clear();
    Selection sel{matched_.data(), matched_.size()};
    for (auto& set : sets_) {
      ctx_.Reset(candidates_.num_rows());
      values.push_back(&set->Eval(ctx_, candidates_, sel));
    }
    for (size_t j = 0; j < matched_.size(); ++j) {
      uint32_t slot = slots_[matched_[j]];
      row_.Clear();
      size_t at = row_.AddRow(rows.timestamp(r));
      if (sets_.empty()) {
        row_.CopyRowInto(rows, r, at, 0);
      } else {
        table_->store().CopyTo(slot, &row_, at);
        for (size_t s = 0; s < sets_.size(); ++s) {
          size_t column = static_cast<size_t>(write_.sets[s].first);
          row_.column(column).CopyRow(*values[s], j, at);
          if (values[s]->type().physical() == PhysicalType::kString && !values[s]->IsNull(j))
            row_.SetString(at, column, values[s]->strings()[j].view());
        }
      }
      size_t before = changes_.num_rows();
      RecordOld(slot, rows.timestamp(r), ChangeKind::kUpdateBefore);
      if (!table_->Replace(slot, row_, at)) {
        changes_.Resize(before);
        Reject(rows, r, "its new key belongs to another row");
        continue;
      }
      size_t after = changes_.AppendRow(row_, at);
      changes_.SetKind(after, ChangeKind::kUpdateAfter);
      if (table_->has_key() && !SameKey(changes_, before, after)) {
        // A row that moves to another key is a delete of the old key and an insert of the new
        // one, as in Flink's changelogs: an upsert sink (keyed by the primary key) drops -U.
        changes_.SetKind(before, ChangeKind::kDelete);
        changes_.SetKind(after, ChangeKind::kInsert);
      }
    }
  }
}

TableLoadOp::TableLoadOp(Table* table, BatchConsumer* changelog)
    : table_(table), changelog_(changelog), changes_(table->def().schema) {}

void TableLoadOp::Push(const Batch& rows) {
  const std::vector<int>& key = table_->def().primary_key;
  {
    std::lock_guard<std::mutex> lock(table_->mu());
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      bool null_key = false;
      for (int c : key) null_key = null_key || rows.column(static_cast<size_t>(c)).IsNull(r);
      if (null_key) {
        ++rejected_;
        continue;
      }
      int64_t ts = rows.timestamp(r);
      int64_t slot = table_->Find(rows, r, key);
      ChangeKind kind = rows.kind(r);
      if (kind == ChangeKind::kDelete || kind == ChangeKind::kUpdateBefore) {
        if (slot < 0) continue;  // a tombstone for a key it does not have
        size_t at = changes_.AddRow(ts);
        table_->store().CopyTo(static_cast<uint32_t>(slot), &changes_, at);
        changes_.SetKind(at, ChangeKind::kDelete);
        table_->Erase(static_cast<uint32_t>(slot));
        continue;
      }
      if (slot >= 0) {
        size_t at = changes_.AddRow(ts);
        table_->store().CopyTo(static_cast<uint32_t>(slot), &changes_, at);
        changes_.SetKind(at, ChangeKind::kUpdateBefore);
        table_->Replace(static_cast<uint32_t>(slot), rows, r);  // the same key: cannot clash
        at = changes_.AppendRow(rows, r);
        changes_.SetKind(at, ChangeKind::kUpdateAfter);
      } else {
        table_->Insert(rows, r);
        size_t at = changes_.AppendRow(rows, r);
        changes_.SetKind(at, ChangeKind::kInsert);
      }
    }
  }
  // Pushed with the table unlocked, as a query's writes are: what reads it may read the table.
  if (changes_.num_rows() > 0 && changelog_) changelog_->Push(changes_);
  changes_.Clear();
}

}  // namespace sluice::exec

namespace sluice::exec {

Result<Batch> ReadRows(const Table& table, std::span<const Value> key, size_t limit) {
  const plan::StreamDef& def = table.def();
  Batch out(def.schema);
  if (!key.empty()) {
    if (!table.has_key())
      return Status::InvalidArgument("table '" + def.name +
                                     "' has no PRIMARY KEY: read all its rows, without a key");
    if (key.size() != def.primary_key.size())
      return Status::InvalidArgument("table '" + def.name + "' has a key of " +
                                     std::to_string(def.primary_key.size()) + " column(s), got " +
                                     std::to_string(key.size()) + " value(s)");
    Batch probe(def.schema);
    probe.AddRow(0);
    for (size_t i = 0; i < key.size(); ++i) {
      size_t col = static_cast<size_t>(def.primary_key[i]);
      if (!probe.SetValue(0, col, key[i]))
        return Status::InvalidArgument(
            "cannot convert " + key[i].ToString() + " to " + def.schema.field(col).type.ToString() +
            " for key column '" + def.schema.field(col).name +
            "': " + ConversionProblem(key[i], def.schema.field(col).type));
    }
    std::lock_guard<std::mutex> lock(table.mu());
    int64_t slot = table.Find(probe, 0, def.primary_key);
    if (slot >= 0) {
      size_t row = out.AddRow(table.store().ts(static_cast<uint32_t>(slot)));
      table.store().CopyTo(static_cast<uint32_t>(slot), &out, row);
    }
    return out;
  }
  std::lock_guard<std::mutex> lock(table.mu());
  for (uint32_t slot : table.rows()) {
    if (out.num_rows() >= limit) break;
    size_t row = out.AddRow(table.store().ts(slot));
    table.store().CopyTo(slot, &out, row);
  }
  return out;
}

}  // namespace sluice::exec
