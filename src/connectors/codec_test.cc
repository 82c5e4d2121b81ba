#include <gtest/gtest.h>

#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"

namespace sluice::connectors {
namespace {

Schema TradeSchema() {
  return Schema({{"symbol", DataType::String()},
                 {"price", DataType::Double()},
                 {"qty", DataType::Int()},
                 {"amount", DataType::Decimal(10, 2)},
                 {"ok", DataType::Bool()}});
}

TEST(JsonCodecTest, DecodesObjectsByNameAndArraysByPosition) {
  Schema s = TradeSchema();
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  ASSERT_TRUE(d.Decode(R"({"qty":3,"symbol":"A","amount":12.345,"extra":[1]})", &b, 0).ok());
  EXPECT_EQ(b.column(0).GetValue(0), Value("A"));
  EXPECT_TRUE(b.column(1).IsNull(0));
  EXPECT_EQ(b.column(2).GetValue(0), Value(int32_t{3}));
  EXPECT_EQ(b.column(3).GetValue(0), Value::Decimal(1235, 2));
  b.AddRow(0);
  ASSERT_TRUE(d.Decode(R"(["B", 1.5, "7", "0.10", true])", &b, 1).ok());
  EXPECT_EQ(b.column(2).GetValue(1), Value(int32_t{7}));
  EXPECT_EQ(b.column(4).GetValue(1), Value(true));
}

TEST(JsonCodecTest, BadValuesNameTheAttribute) {
  Schema s = TradeSchema();
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  Status st = d.Decode(R"({"qty":1.5})", &b, 0);
  EXPECT_NE(st.message().find("'qty' is INT"), std::string::npos) << st.message();
  st = d.Decode(R"({"price":{}})", &b, 0);
  EXPECT_NE(st.message().find("'price' is DOUBLE, got an object"), std::string::npos)
      << st.message();
  EXPECT_FALSE(d.Decode("{\"symbol\": ", &b, 0).ok());
  EXPECT_FALSE(d.Decode("[1,2]", &b, 0).ok());
}

TEST(JsonCodecTest, EncodesRowsInSchemaOrder) {
  Schema s = TradeSchema();
  Batch b(s);
  b.AddRow(0);
  b.SetString(0, 0, "q\"uote");
  b.column(1).SetDouble(0, 2);
  b.column(3).SetInt(0, 5);
  std::string out;
  AppendJsonObject(&out, s, b, 0);
  EXPECT_EQ(out, R"({"symbol":"q\"uote","price":2.0,"qty":null,"amount":0.05,"ok":null})");
}

TEST(JsonCodecTest, ReplayLines) {
  ReplayLine l;
  ASSERT_TRUE(ParseReplayLine(R"({"stream":"S","ts":5,"values":[1,"a"]})", &l).ok());
  EXPECT_EQ(l.stream, "S");
  EXPECT_EQ(l.ts, 5);
  EXPECT_EQ(l.payload, R"([1,"a"])");
  ASSERT_TRUE(ParseReplayLine(R"({"advance_to": 100})", &l).ok());
  EXPECT_TRUE(l.is_advance);
  EXPECT_FALSE(ParseReplayLine(R"({"stream":"S","ts":"x","values":[]})", &l).ok());
  EXPECT_FALSE(ParseReplayLine(R"({"stream":"S","values":{}})", &l).ok());
  EXPECT_FALSE(ParseReplayLine(R"({"stream":"S","ts":1})", &l).ok());
}

TEST(CsvCodecTest, QuotesAndEmptyFields) {
  std::vector<std::string> f;
  ASSERT_TRUE(SplitCsv(R"(a,"b,c","d ""e""",,x)", ',', &f));
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[1], "b,c");
  EXPECT_EQ(f[2], "d \"e\"");
  EXPECT_EQ(f[3], "");
  EXPECT_FALSE(SplitCsv(R"(a,"b)", ',', &f));
}

TEST(CsvCodecTest, RoundTrip) {
  Schema s = TradeSchema();
  Batch b(s);
  b.AddRow(0);
  std::vector<std::string> f = {"A,B", "1.5", "", "3.10", "true"};
  ASSERT_TRUE(DecodeCsvFields(f, {}, s, &b, 0).ok());
  EXPECT_TRUE(b.column(2).IsNull(0));
  std::string out;
  AppendCsvRow(&out, s, b, 0, ',');
  EXPECT_EQ(out, "\"A,B\",1.5,,3.10,true\n");
  f[1] = "abc";
  EXPECT_NE(DecodeCsvFields(f, {}, s, &b, 0).message().find("'price' is DOUBLE, got 'abc'"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::connectors
