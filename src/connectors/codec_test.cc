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

TEST(JsonCodecTest, SplitsAnArrayOfEventsWhereEachEnds) {
  std::vector<std::string_view> e;
  ASSERT_TRUE(SplitJsonArray(R"( [ {"a":"x,]}"} , [1, [2]], {"b":{"c":[]}} ] )", &e).ok());
  EXPECT_EQ(e, (std::vector<std::string_view>{R"({"a":"x,]}"})", "[1, [2]]", R"({"b":{"c":[]}})"}));
  ASSERT_TRUE(SplitJsonArray(R"([{"s":"a \" ] quote"}])", &e).ok());
  EXPECT_EQ(e, (std::vector<std::string_view>{R"({"s":"a \" ] quote"})"}));
  ASSERT_TRUE(SplitJsonArray("[ ]", &e).ok());
  EXPECT_TRUE(e.empty());
  EXPECT_NE(SplitJsonArray("{}", &e).message().find("not a JSON array"), std::string::npos);
  EXPECT_NE(SplitJsonArray("[{},]", &e).message().find("an empty element"), std::string::npos);
  EXPECT_NE(SplitJsonArray("[,{}]", &e).message().find("an empty element"), std::string::npos);
  EXPECT_NE(SplitJsonArray("[{}", &e).message().find("not closed"), std::string::npos);
  EXPECT_NE(SplitJsonArray("[{}] x", &e).message().find("text after the array"), std::string::npos);
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

// Input must not be silently changed: what JSON does not allow is malformed, not accepted.
TEST(JsonCodecTest, WhatJsonDoesNotAllowIsMalformed) {
  Schema s({{"a", DataType::Bigint()}, {"t", DataType::String()}, {"d", DataType::Double()}});
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  for (const char* line :
       {R"({"d":NaN})", R"({"d":Infinity})", R"({"a":01})", R"({"t":01})", R"({"t":nul})",
        R"({"a":-})", R"({"d":1.})", "{'a':1}", R"({"t":'x'})", R"({"a":1}{"a":2})", R"({"a":1} x)",
        R"({"zz":NaN,"a":1})", R"({"a":tru})", R"([1,"x",NaN])"}) {
    EXPECT_FALSE(d.Decode(line, &b, 0).ok()) << line;
  }
  ASSERT_TRUE(d.Decode(R"({"a":-0,"t":12.5,"d":1e-400,"zz":[1,{"y":null}]})", &b, 0).ok());
  EXPECT_EQ(b.column(1).GetValue(0), Value("12.5"));
}

// A syntax error inside the value is not reported as text after it.
TEST(JsonCodecTest, ASyntaxErrorInsideIsNotTrailingText) {
  Schema s({{"a", DataType::Bigint()}});
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  EXPECT_EQ(d.Decode("{'a':1}", &b, 0).message(), "not valid JSON");
  EXPECT_EQ(d.Decode(R"({"a":1}{"a":2})", &b, 0).message(), "unexpected text after the JSON value");
}

TEST(JsonCodecTest, DuplicateKeysAreReported) {
  Schema s({{"a", DataType::Bigint()}});
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  Status st = d.Decode(R"({"a":1,"a":2})", &b, 0);
  EXPECT_NE(st.message().find("key \"a\" appears twice"), std::string::npos) << st.message();
  st = d.Decode(R"({"a":1,"x":2,"x":3})", &b, 0);
  EXPECT_NE(st.message().find("key \"x\" appears twice"), std::string::npos) << st.message();
}

TEST(JsonCodecTest, OutOfRangeNumbersSaySo) {
  Schema s({{"a", DataType::Bigint()},
            {"i", DataType::Int()},
            {"d", DataType::Double()},
            {"f", DataType::Float()}});
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  auto message = [&](const char* line) { return d.Decode(line, &b, 0).message(); };
  EXPECT_NE(message(R"({"d":1e400})").find("1e400 (out of range for DOUBLE)"), std::string::npos)
      << message(R"({"d":1e400})");
  EXPECT_NE(
      message(R"({"a":9223372036854775808})").find("9223372036854775808 (out of range for BIGINT)"),
      std::string::npos)
      << message(R"({"a":9223372036854775808})");
  EXPECT_NE(message(R"({"i":2147483648})").find("(out of range for INT)"), std::string::npos);
  EXPECT_NE(message(R"({"f":1e300})").find("(out of range for FLOAT)"), std::string::npos);
  EXPECT_NE(message(R"({"a":"9223372036854775808"})").find("(out of range for BIGINT)"),
            std::string::npos)
      << message(R"({"a":"9223372036854775808"})");
  EXPECT_NE(message(R"({"a":1.5})").find("(not an integer)"), std::string::npos);
  EXPECT_TRUE(d.Decode(R"({"a":-9223372036854775808,"i":2e3})", &b, 0).ok());
  EXPECT_EQ(b.column(0).GetValue(0), Value(int64_t{INT64_MIN}));
  EXPECT_EQ(b.column(1).GetValue(0), Value(int32_t{2000}));
}

TEST(JsonCodecTest, AReplayEnvelopeIsNotAnEvent) {
  Schema s({{"a", DataType::Bigint()}});
  JsonRowDecoder d(s);
  Batch b(s);
  b.AddRow(0);
  Status st = d.Decode(R"({"stream":"S","ts":1,"values":[1]})", &b, 0);
  EXPECT_NE(st.message().find("this is a replay line"), std::string::npos) << st.message();
  st = d.Decode(R"({"x":1,"y":2})", &b, 0);
  EXPECT_NE(st.message().find("none of its keys (x, y) is an attribute of (a BIGINT)"),
            std::string::npos)
      << st.message();
  EXPECT_TRUE(d.Decode("{}", &b, 0).ok());  // explicitly all NULL
}

TEST(CsvCodecTest, AHeaderMustNameAttributesAndRowsMustMatchIt) {
  Schema s({{"a", DataType::Bigint()}, {"price", DataType::Double()}});
  std::vector<int> columns;
  Status st = CsvHeaderColumns({"a", "prise"}, s, &columns);
  EXPECT_NE(st.message().find("header column 'prise' is not an attribute"), std::string::npos);
  EXPECT_NE(st.message().find("did you mean 'price'?"), std::string::npos) << st.message();
  EXPECT_FALSE(CsvHeaderColumns({"a", "a"}, s, &columns).ok());
  ASSERT_TRUE(CsvHeaderColumns({"price", "a"}, s, &columns).ok());
  Batch b(s);
  b.AddRow(0);
  EXPECT_TRUE(DecodeCsvFields({"1.5", "7"}, columns, s, &b, 0).ok());
  EXPECT_EQ(b.column(0).GetValue(0), Value(int64_t{7}));
  EXPECT_FALSE(DecodeCsvFields({"1.5"}, columns, s, &b, 0).ok());
  EXPECT_FALSE(DecodeCsvFields({"1.5", "7", "extra"}, columns, s, &b, 0).ok());
  st = DecodeCsvFields({"9223372036854775808", "1"}, {}, s, &b, 0);
  EXPECT_NE(st.message().find("(out of range for BIGINT)"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace sluice::connectors
