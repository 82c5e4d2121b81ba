#include "common/row_key.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sluice {
namespace {

std::string KeyOf(const Column& c, size_t row) {
  std::string key;
  AppendValueKey(c, row, &key);
  return key;
}

// The five encoders of the old core disagreed: the async partitioner put -0.0 and 0.0 on
// different workers while GROUP BY put them in one group.
TEST(RowKeyTest, ValuesEqualAsKeysHaveEqualBytes) {
  Column d(DataType::Double());
  d.Resize(5);
  d.SetDouble(0, 0.0);
  d.SetDouble(1, -0.0);
  d.SetDouble(2, std::numeric_limits<double>::quiet_NaN());
  d.SetDouble(3, -std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(KeyOf(d, 0), KeyOf(d, 1));
  EXPECT_EQ(KeyOf(d, 2), KeyOf(d, 3));
  EXPECT_NE(KeyOf(d, 0), KeyOf(d, 2));
  EXPECT_NE(KeyOf(d, 4), KeyOf(d, 0));  // NULL is a key of its own
  EXPECT_EQ(KeyHash(KeyOf(d, 0)), KeyHash(KeyOf(d, 1)));
}

TEST(RowKeyTest, PartsCannotRunIntoEachOther) {
  std::string ab_c, a_bc;
  AppendStringKey("ab", &ab_c);
  AppendStringKey("c", &ab_c);
  AppendStringKey("a", &a_bc);
  AppendStringKey("bc", &a_bc);
  EXPECT_NE(ab_c, a_bc);
}

// Key groups move between processes: the hash must not change between runs or builds.
TEST(RowKeyTest, TheHashIsStable) {
  std::string key;
  AppendStringKey("AAPL", &key);
  EXPECT_EQ(KeyHash(key), 0x4935609cd4286910ULL) << std::hex << KeyHash(key);
  EXPECT_LT(KeyGroupOf(KeyHash(key)), kKeyGroups);
}

// The async partitioner hashes values without building their key: it must agree with the key.
TEST(RowKeyTest, ValueKeyHashIsTheHashOfTheKey) {
  Column s(DataType::String()), d(DataType::Double()), i(DataType::Bigint());
  std::vector<std::string> texts = {"",
                                    "a",
                                    "abc",
                                    "abcd",
                                    "SYM42",
                                    "seven77",
                                    "eight888",
                                    std::string(59, 'x'),
                                    std::string(60, 'y'),
                                    std::string(300, 'z')};
  s.Resize(texts.size() + 1);
  StringArena arena;
  for (size_t r = 0; r < texts.size(); ++r) s.SetString(r, arena.Add(texts[r]));
  d.Resize(4);
  d.SetDouble(0, -0.0);
  d.SetDouble(1, std::numeric_limits<double>::quiet_NaN());
  d.SetDouble(2, 2.5);
  i.Resize(2);
  i.SetInt(0, -7);
  for (const Column* c : {&s, &d, &i})
    for (size_t r = 0; r < c->size(); ++r)
      EXPECT_EQ(ValueKeyHash(*c, r), KeyHash(KeyOf(*c, r))) << c->type().ToString() << " row " << r;
}

}  // namespace
}  // namespace sluice
