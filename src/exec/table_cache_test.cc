#include "exec/table_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "exec/table.h"

namespace sluice::exec {
namespace {

// A store in memory, to test the cache's bookkeeping: how often it is asked, for which keys.
class MemoryStore final : public TableStore {
 public:
  explicit MemoryStore(const Schema& schema) : schema_(schema) {}
  Status Lookup(const Batch& keys, Batch* rows, std::vector<uint8_t>* found) override {
    ++lookups;
    if (failures > 0) {
      --failures;
      return Status::IoError("the store is down");
    }
    rows->Reset(schema_);
    rows->Resize(keys.num_rows());
    found->assign(keys.num_rows(), 0);
    for (size_t i = 0; i < keys.num_rows(); ++i) {
      int64_t k = keys.column(0).ints()[i];
      asked.push_back(k);
      auto it = values.find(k);
      if (it == values.end()) continue;
      (*found)[i] = 1;
      rows->column(0).SetInt(i, k);
      rows->SetString(i, 1, it->second);
    }
    return Status::OK();
  }
  std::string where() const override { return "memory"; }

  std::map<int64_t, std::string> values;
  std::vector<int64_t> asked;
  int lookups = 0;
  int failures = 0;

 private:
  Schema schema_;
};

plan::StreamDef Def() {
  plan::StreamDef def;
  def.name = "T";
  def.is_table = true;
  def.schema.Add("k", DataType::Int());
  def.schema.Add("v", DataType::String());
  def.primary_key = {0};
  return def;
}

Batch Keys(const Schema& schema, std::vector<int64_t> keys) {
  Batch b(schema);
  for (int64_t k : keys) b.column(0).SetInt(b.AddRow(0), k);
  return b;
}

class TableCacheTest : public ::testing::Test {
 protected:
  void Make(TableCacheOptions options) {
    auto store = std::make_unique<MemoryStore>(def_.schema);
    store_ = store.get();
    store_->values = {{1, "one"}, {2, "two"}, {3, "three"}};
    cache_ = std::make_unique<TableCache>(&table_, std::move(store), options);
  }
  // The table's value of key `k`, or "-" when it has no row of it.
  std::string Value(int64_t k) {
    Batch key = Keys(def_.schema, {k});
    std::lock_guard<std::mutex> lock(table_.mu());
    int64_t slot = table_.Find(key, 0, {0});
    if (slot < 0) return "-";
    Batch one(def_.schema);
    one.AddRow(0);
    table_.store().CopyTo(static_cast<uint32_t>(slot), &one, 0);
    return std::string(one.column(1).strings()[0].view());
  }

  plan::StreamDef def_ = Def();
  Table table_{def_};
  MemoryStore* store_ = nullptr;
  std::unique_ptr<TableCache> cache_;
};

TEST_F(TableCacheTest, OneLookupPerBatchOfTheKeysNotCachedAndAbsentKeysAreCachedToo) {
  Make({});
  TableCache::Pins pins;
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1, 2, 1, 9}), {0}, false, &pins).ok());
  EXPECT_EQ(store_->lookups, 1);
  EXPECT_EQ(store_->asked, (std::vector<int64_t>{1, 2, 9}));  // each key once
  EXPECT_EQ(Value(1), "one");
  EXPECT_EQ(Value(9), "-");
  cache_->Release(&pins);
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {2, 9}), {0}, false, &pins).ok());
  EXPECT_EQ(store_->lookups, 1);  // both cached, the absent one included
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {3}), {0}, false, &pins).ok());
  EXPECT_EQ(store_->lookups, 2);
  cache_->Release(&pins);
  TableCacheStats s = cache_->Stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 4u);
  EXPECT_EQ(s.lookups, 2u);
  EXPECT_EQ(s.rows, 4u);
}

TEST_F(TableCacheTest, AKeyIsLookedUpAgainAfterItsTtlOrWhenRefreshed) {
  TableCacheOptions o;
  o.ttl_ms = 30;
  Make(o);
  TableCache::Pins pins;
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, false, &pins).ok());
  cache_->Release(&pins);
  store_->values[1] = "uno";
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, false, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(Value(1), "one");  // still fresh
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, false, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(Value(1), "uno");
  store_->values.erase(1);
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, /*refresh=*/true, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(Value(1), "-");  // gone from the store: gone from the cache
  EXPECT_EQ(store_->lookups, 3);
}

TEST_F(TableCacheTest, TheOldestKeysAreEvictedButNotWhileABatchNeedsThem) {
  TableCacheOptions o;
  o.max_rows = 2;
  Make(o);
  TableCache::Pins pins;
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1, 2, 3}), {0}, false, &pins).ok());
  EXPECT_EQ(Value(1), "one");  // pinned: all three stay while the batch runs
  EXPECT_EQ(Value(3), "three");
  EXPECT_EQ(cache_->Stats().rows, 3u);
  cache_->Release(&pins);
  EXPECT_EQ(cache_->Stats().rows, 2u);
  EXPECT_EQ(Value(1), "-");  // the oldest went
  EXPECT_EQ(Value(2), "two");
  // No cache: the keys stay only while a batch needs them.
  o.max_rows = 0;
  Make(o);
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, false, &pins).ok());
  EXPECT_EQ(Value(1), "one");
  cache_->Release(&pins);
  EXPECT_EQ(cache_->Stats().rows, 0u);
}

TEST_F(TableCacheTest, WhatTheAppWroteIsReadWithoutALookup) {
  Make({});
  Batch row(def_.schema);
  row.column(0).SetInt(row.AddRow(0), 7);
  row.SetString(0, 1, "seven");
  {
    std::lock_guard<std::mutex> lock(table_.mu());
    table_.Insert(row, 0);
    cache_->Wrote(row, 0);
  }
  TableCache::Pins pins;
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {7}), {0}, false, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(store_->lookups, 0);
  EXPECT_EQ(Value(7), "seven");
}

// Until the table's sink has written it, the store does not have what the app wrote: the row
// stays, whatever the size, the TTL or a refresh say; then it is a cached row like any other.
TEST_F(TableCacheTest, AWriteStaysCachedUntilTheSinkHasWrittenIt) {
  bool drained = false;
  TableCacheOptions o;
  o.max_rows = 0;
  o.ttl_ms = 1;
  o.sink_drained = [&] { return drained; };
  Make(o);
  store_->values[7] = "old";
  Batch row(def_.schema);
  row.column(0).SetInt(row.AddRow(0), 7);
  row.SetString(0, 1, "new");
  {
    std::lock_guard<std::mutex> lock(table_.mu());
    cache_->Writing();
    table_.Insert(row, 0);
    cache_->Wrote(row, 0);
  }
  cache_->Pushed();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  TableCache::Pins pins;
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {7}), {0}, /*refresh=*/true, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(store_->lookups, 0);
  EXPECT_EQ(Value(7), "new");
  drained = true;
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, false, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(Value(7), "-");  // written: evicted as any row is
  ASSERT_TRUE(cache_->Acquire(Keys(def_.schema, {7}), {0}, false, &pins).ok());
  EXPECT_EQ(Value(7), "old");  // read again (this store was never written)
  cache_->Release(&pins);
}

TEST_F(TableCacheTest, AFailedLookupIsTriedAgainThenReported) {
  TableCacheOptions o;
  o.retries = 2;
  o.backoff_ms = 1;
  Make(o);
  store_->failures = 2;
  TableCache::Pins pins;
  EXPECT_TRUE(cache_->Acquire(Keys(def_.schema, {1}), {0}, false, &pins).ok());
  cache_->Release(&pins);
  EXPECT_EQ(store_->lookups, 3);
  store_->failures = 3;
  Status st = cache_->Acquire(Keys(def_.schema, {2}), {0}, false, &pins);
  cache_->Release(&pins);
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "table 'T': a lookup in memory failed: the store is down");
  EXPECT_EQ(cache_->Stats().failed, 1u);
  EXPECT_EQ(Value(2), "-");
}

}  // namespace
}  // namespace sluice::exec
