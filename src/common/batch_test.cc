#include <gtest/gtest.h>

#include "sluice/batch.h"

namespace sluice {
namespace {

Schema TestSchema() {
  Schema s;
  s.Add("name", DataType::String());
  s.Add("n", DataType::Bigint());
  s.Add("x", DataType::Double());
  return s;
}

TEST(BatchTest, AppendRowOwnsItsStringsAndKeepsNulls) {
  Schema schema = TestSchema();
  Batch src(schema), dst(schema);
  size_t r = src.AddRow(42);
  src.SetString(r, 0, "a string longer than any small-string buffer");
  src.column(1).SetInt(r, 7);  // column 2 stays NULL

  size_t at = dst.AppendRow(src, r);
  src.Clear();  // frees the source's strings: the copy must not point into them
  src.AddRow(0);
  src.SetString(0, 0, "overwrites the arena the first string was in, if it were shared");

  ASSERT_EQ(dst.num_rows(), 1u);
  EXPECT_EQ(dst.timestamp(at), 42);
  EXPECT_EQ(dst.column(0).strings()[at].view(), "a string longer than any small-string buffer");
  EXPECT_EQ(dst.column(1).ints()[at], 7);
  EXPECT_TRUE(dst.column(2).IsNull(at));
}

}  // namespace
}  // namespace sluice
