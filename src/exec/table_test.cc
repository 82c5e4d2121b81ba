#include "exec/table.h"

#include <gtest/gtest.h>

namespace sluice::exec {
namespace {

plan::StreamDef KeyedDef() {
  plan::StreamDef def;
  def.name = "T";
  def.is_table = true;
  def.schema.Add("k", DataType::Int());
  def.schema.Add("v", DataType::String());
  def.primary_key = {0};
  return def;
}

Batch Rows(const Schema& schema, std::vector<std::pair<int, std::string>> rows) {
  Batch b(schema);
  for (const auto& [k, v] : rows) {
    size_t r = b.AddRow(0);
    b.column(0).SetInt(r, k);
    b.SetString(r, 1, v);
  }
  return b;
}

std::string Contents(const Table& t) {
  std::string s;
  Batch one(t.def().schema);
  for (uint32_t slot : t.rows()) {
    one.Clear();
    one.AddRow(0);
    t.store().CopyTo(slot, &one, 0);
    s += std::to_string(one.column(0).ints()[0]) + "=" +
         std::string(one.column(1).strings()[0].view()) + " ";
  }
  return s;
}

TEST(TableTest, OneRowPerKeyThroughInsertReplaceAndErase) {
  plan::StreamDef def = KeyedDef();
  Table t(def);
  std::lock_guard<std::mutex> lock(t.mu());
  Batch in = Rows(def.schema, {{1, "a"}, {2, "b"}, {1, "again"}, {3, "c"}});
  EXPECT_TRUE(t.Insert(in, 0));
  EXPECT_TRUE(t.Insert(in, 1));
  EXPECT_FALSE(t.Insert(in, 2)) << "key 1 is taken";
  EXPECT_TRUE(t.Insert(in, 3));
  EXPECT_EQ(Contents(t), "1=a 2=b 3=c ");

  Batch key = Rows(def.schema, {{2, ""}, {9, ""}});
  int64_t slot = t.Find(key, 0, {0});
  ASSERT_GE(slot, 0);
  EXPECT_EQ(t.Find(key, 1, {0}), -1);

  // Changing a row's key re-indexes it; taking another row's key is refused.
  Batch moved = Rows(def.schema, {{7, "b7"}, {3, "clash"}});
  EXPECT_TRUE(t.Replace(static_cast<uint32_t>(slot), moved, 0));
  EXPECT_EQ(t.Find(key, 0, {0}), -1);
  EXPECT_GE(t.Find(moved, 0, {0}), 0);
  EXPECT_FALSE(t.Replace(static_cast<uint32_t>(t.Find(moved, 0, {0})), moved, 1));
  EXPECT_EQ(Contents(t), "1=a 7=b7 3=c ");

  // Erasing keeps the others findable, and the freed key can come back.
  t.Erase(static_cast<uint32_t>(t.Find(in, 0, {0})));
  EXPECT_EQ(Contents(t), "3=c 7=b7 ");
  EXPECT_GE(t.Find(in, 3, {0}), 0);
  EXPECT_TRUE(t.Insert(in, 2));
  EXPECT_EQ(Contents(t), "3=c 7=b7 1=again ");
}

TEST(TableTest, WithoutAKeyEveryRowIsKept) {
  plan::StreamDef def = KeyedDef();
  def.primary_key.clear();
  Table t(def);
  std::lock_guard<std::mutex> lock(t.mu());
  Batch in = Rows(def.schema, {{1, "a"}, {1, "a"}});
  EXPECT_TRUE(t.Insert(in, 0));
  EXPECT_TRUE(t.Insert(in, 1));
  EXPECT_EQ(t.rows().size(), 2u);
}

}  // namespace
}  // namespace sluice::exec
