#include "exec/table_cache.h"

#include <chrono>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/row_key.h"
#include "exec/table.h"

namespace sluice::exec {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Field `col` of row `row` of `src` into field `to_col` of row `at` of `dst` (same type),
// strings copied into dst's arena.
void CopyField(const Batch& src, size_t row, size_t col, Batch* dst, size_t at, size_t to_col) {
  const Column& from = src.column(col);
  dst->column(to_col).CopyRow(from, row, at);
  if (from.type().physical() == PhysicalType::kString && !from.IsNull(row))
    dst->SetString(at, to_col, from.strings()[row].view());
}

}  // namespace

TableCache::TableCache(Table* table, std::unique_ptr<TableStore> store, TableCacheOptions options)
    : table_(table),
      store_(std::move(store)),
      options_(options),
      primary_key_(table->def().primary_key) {}

Status TableCache::Acquire(const Batch& in, const std::vector<int>& columns, bool refresh,
                           Pins* pins) {
  const Schema& schema = table_->def().schema;
  Batch keys;
  std::vector<std::string> wanted;
  absl::flat_hash_map<std::string, size_t> seen;
  uint64_t written_before;
  std::string key;
  {
    std::lock_guard<std::mutex> lock(table_->mu());
    NoteDrained();
    written_before = write_seq_;
    int64_t now = NowMs();
    for (size_t r = 0; r < in.num_rows(); ++r) {
      key.clear();
      bool null = false;
      for (int c : columns) {
        const Column& col = in.column(static_cast<size_t>(c));
        null = null || col.IsNull(r);
        AppendValueKey(col, r, &key);
      }
      if (null || seen.contains(key)) continue;  // no row has a NULL key
      auto it = entries_.find(key);
      // A write of the app that the store may not have yet is newer than what it would say.
      bool fresh =
          it != entries_.end() &&
          (Unwritten(it->second) ||
           (!refresh && (options_.ttl_ms == 0 || now - it->second.fetched_ms < options_.ttl_ms)));
      seen.emplace(key, wanted.size());
      if (fresh) {
        ++stats_.hits;
        Pin(key, pins);
        continue;
      }
      ++stats_.misses;
      if (wanted.empty()) keys.Reset(schema);
      wanted.push_back(key);
      size_t at = keys.AddRow(0);
      for (size_t k = 0; k < columns.size(); ++k)
        CopyField(in, r, static_cast<size_t>(columns[k]), &keys, at,
                  static_cast<size_t>(primary_key_[k]));
    }
  }
  if (wanted.empty()) return Status::OK();
  // The store is asked with no lock held: a slow store holds up only this batch.
  Batch rows;
  std::vector<uint8_t> found;
  Status st = store_->Lookup(keys, &rows, &found);
  uint64_t round_trips = 1;
  int64_t backoff = options_.backoff_ms;
  bool warned = false;
  auto stopping = [&] { return options_.stopping && options_.stopping(); };
  for (int64_t attempt = 0; st.code() == StatusCode::kIoError &&
                            (options_.retries < 0 || attempt < options_.retries) && !stopping();
       ++attempt) {
    if (!warned)
      Log(LogLevel::kWarn, "table '" + table_->def().name + "': a lookup in " + store_->where() +
                               " failed (" + st.message() + "): trying again, the batch waits");
    warned = true;
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
    while (!stopping() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(backoff, 20)));
    backoff = std::min(backoff * 2, options_.backoff_max_ms);
    st = store_->Lookup(keys, &rows, &found);
    ++round_trips;
  }
  if (warned && st.ok())
    Log(LogLevel::kInfo,
        "table '" + table_->def().name + "': lookups in " + store_->where() + " answer again");
  std::lock_guard<std::mutex> lock(table_->mu());
  stats_.lookups += round_trips;
  if (st.ok() && (found.size() != wanted.size() || rows.num_rows() != wanted.size()))
    st = Status::Internal("the store answered " + std::to_string(found.size()) + " of " +
                          std::to_string(wanted.size()) + " keys");
  if (!st.ok()) {
    ++stats_.failed;
    return Status(st.code(), "table '" + table_->def().name + "': a lookup in " + store_->where() +
                                 " failed: " + st.message());
  }
  int64_t now = NowMs();
  for (size_t i = 0; i < wanted.size(); ++i) {
    Entry& e = EntryOf(wanted[i]);
    Pin(wanted[i], pins);
    if (e.written > written_before) continue;  // the app wrote it meanwhile: newer than the store
    e.fetched_ms = now;
    int64_t slot = table_->FindKey(wanted[i]);
    if (found[i]) {
      // Under the key it was looked up by, whatever the stored value says its key is.
      for (int k : primary_key_)
        CopyField(keys, i, static_cast<size_t>(k), &rows, i, static_cast<size_t>(k));
      if (slot >= 0) {
        table_->Replace(static_cast<uint32_t>(slot), rows, i);  // the same key: cannot clash
      } else {
        table_->Insert(rows, i);
      }
    } else if (slot >= 0) {
      table_->Erase(static_cast<uint32_t>(slot));
    }
  }
  EvictLocked();
  return Status::OK();
}

void TableCache::Release(Pins* pins) {
  if (pins->keys_.empty()) return;
  std::lock_guard<std::mutex> lock(table_->mu());
  for (const std::string& key : pins->keys_) {
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.pins > 0) --it->second.pins;
  }
  pins->keys_.clear();
  EvictLocked();
}

void TableCache::Wrote(const Batch& rows, size_t row) {
  std::string key;
  for (int c : primary_key_) AppendValueKey(rows.column(static_cast<size_t>(c)), row, &key);
  Entry& e = EntryOf(key);
  e.written = ++write_seq_;
  e.fetched_ms = NowMs();
}

void TableCache::NoteDrained() {
  // Only when no writer is between its write into the cache and its push to the sink, and the
  // sink has written everything pushed: then every write so far is in the store.
  if (durable_ == write_seq_ || unpushed_.load(std::memory_order_acquire) != 0) return;
  if (options_.sink_drained && options_.sink_drained()) durable_ = write_seq_;
}

TableCacheStats TableCache::Stats() const {
  std::lock_guard<std::mutex> lock(table_->mu());
  TableCacheStats s = stats_;
  s.rows = entries_.size();
  return s;
}

void TableCache::Pin(const std::string& key, Pins* pins) {
  ++EntryOf(key).pins;
  pins->keys_.push_back(key);
}

TableCache::Entry& TableCache::EntryOf(const std::string& key) {
  auto [it, added] = entries_.try_emplace(key);
  if (added) order_.push_back(key);
  return it->second;
}

void TableCache::EvictLocked() {
  // The oldest entries go first; one that a batch still needs waits for its next turn.
  for (size_t turns = order_.size();
       static_cast<int64_t>(entries_.size()) > options_.max_rows && turns > 0; --turns) {
    std::string key = std::move(order_.front());
    order_.pop_front();
    auto it = entries_.find(key);
    if (it->second.pins > 0 || Unwritten(it->second)) {
      order_.push_back(std::move(key));
      continue;
    }
    int64_t slot = table_->FindKey(key);
    if (slot >= 0) table_->Erase(static_cast<uint32_t>(slot));
    entries_.erase(it);
  }
}

}  // namespace sluice::exec
