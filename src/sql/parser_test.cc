#include "sql/parser.h"

#include <gtest/gtest.h>

namespace sluice::sql {
namespace {

AppAst ParseOk(std::string_view text) {
  Diagnostics d;
  AppAst ast = Parse(text, &d);
  EXPECT_FALSE(d.has_errors()) << d.Format(text, "t.sql");
  return ast;
}

std::string Errors(std::string_view text) {
  Diagnostics d;
  Parse(text, &d);
  return d.Format(text, "t.sql");
}

TEST(ParserTest, CreateStreamWithOptionsAndAnnotations) {
  AppAst ast = ParseOk(
      "@app(name='T', async='true')\n"
      "@Async(buffer_size='1024', workers='2') @onError(action='stream')\n"
      "CREATE STREAM Trades (symbol STRING, price DOUBLE, volume BIGINT, ts BIGINT)\n"
      "WITH ('event.time.field' = 'ts');");
  ASSERT_EQ(ast.app_annotations.size(), 1u);
  ASSERT_EQ(ast.statements.size(), 1u);
  const Statement& s = ast.statements[0];
  EXPECT_EQ(s.annotations.size(), 2u);
  EXPECT_EQ(s.create->columns.size(), 4u);
  EXPECT_EQ(s.create->columns[1].type, DataType::Double());
  EXPECT_EQ(s.create->with[0].key, "event.time.field");
}

TEST(ParserTest, BothQueryOrdersMeanTheSame) {
  AppAst a = ParseOk("INSERT INTO Out SELECT a FROM S WHERE a > 1;");
  AppAst b = ParseOk("SELECT a FROM S WHERE a > 1 INSERT INTO Out;");
  ASSERT_EQ(a.statements[0].query->output->target, "Out");
  ASSERT_EQ(b.statements[0].query->output->target, "Out");
  EXPECT_EQ(a.statements[0].query->where->ToSql(), b.statements[0].query->where->ToSql());
}

TEST(ParserTest, KeywordsCanNameAttributes) {
  AppAst ast = ParseOk(
      "CREATE STREAM S (timestamp BIGINT, value DOUBLE, type STRING, data STRING);\n"
      "INSERT INTO O SELECT timestamp, value, type, sum FROM S;");
  EXPECT_EQ(ast.statements[1].query->select.size(), 4u);
}

TEST(ParserTest, OperatorPrecedence) {
  Diagnostics d;
  ExprPtr e = ParseExpression("a + b * c > 3 AND NOT x OR y", &d);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ToSql(), "((((a + (b * c)) > 3) AND NOT x) OR y)");
}

TEST(ParserTest, DurationsAreMilliseconds) {
  Diagnostics d;
  ExprPtr e = ParseExpression("5 SECONDS", &d);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->is_duration);
  EXPECT_EQ(e->literal.int_value(), 5000);
  e = ParseExpression("100 ms", &d);
  EXPECT_EQ(e->literal.int_value(), 100);
  e = ParseExpression("1 MINUTE", &d);
  EXPECT_EQ(e->literal.int_value(), 60000);
}

TEST(ParserTest, WindowsJoinsPatternsAllParse) {
  ParseOk(
      "INSERT INTO O SELECT a FROM S WINDOW('length', 10);\n"
      "INSERT INTO O SELECT a FROM S WINDOW TUMBLING(5 SECONDS);\n"
      "INSERT INTO O SELECT a FROM S WINDOW SLIDING(1 MINUTE, 10 SECONDS);\n"
      "INSERT INTO O SELECT a FROM S WINDOW SESSION(30 SECONDS) EMIT FINAL;\n"
      "INSERT INTO O SELECT x.a FROM A WINDOW('time', 1 SECOND) AS x LEFT OUTER JOIN B "
      "WINDOW('length', 100) AS y ON x.id = y.id;\n"
      "INSERT INTO O SELECT a.p FROM PATTERN EVERY (a=T -> b=T[p > a.p]) WITHIN 10 SECONDS;\n"
      "INSERT INTO O SELECT e2.x FROM PATTERN (EVERY (e1=F{3,5} -> e2=L) WITHIN 10 MINUTES);\n"
      "INSERT INTO O SELECT a.x FROM PATTERN (a=S1 AND b=S2 -> c=S3);\n"
      "INSERT INTO O SELECT a.x FROM PATTERN (a=S1 -> NOT S2 FOR 5 SECONDS);\n"
      "INSERT INTO O SELECT a.x FROM SEQUENCE (a=Login, b=Access+, c=Logout);\n"
      "INSERT INTO O SELECT a, count() AS n FROM S GROUP BY a HAVING n > 2 ORDER BY n DESC "
      "LIMIT 5 OFFSET 1;\n"
      "SELECT a FROM S OUTPUT LAST EVERY 5 SECONDS INSERT INTO O;\n"
      "INSERT EXPIRED EVENTS INTO O SELECT a FROM S WINDOW('length', 2);\n"
      "SELECT symbol, price FROM Updates UPDATE T SET T.price = price ON T.symbol = symbol;\n"
      "SELECT symbol FROM D DELETE T ON T.symbol = symbol;\n"
      "SELECT symbol, price FROM U UPDATE OR INSERT INTO T SET price = price ON T.symbol = "
      "symbol;\n"
      "UPDATE T SET price = s.price FROM s WHERE T.symbol = s.symbol;\n"
      "DELETE FROM T USING s WHERE T.symbol = s.symbol;\n"
      "UPSERT INTO T SELECT symbol, price FROM s ON T.symbol = symbol;\n"
      "INSERT INTO Faults SELECT data, _error FROM !S;\n");
}

TEST(ParserTest, PatternPrecedenceFollowsSiddhi) {
  AppAst ast = ParseOk("INSERT INTO O SELECT e1.x FROM PATTERN (EVERY e1=A -> e2=B OR e3=C);");
  const PatternNode& root = *ast.statements[0].query->from.pattern->root;
  ASSERT_EQ(root.kind, PatternNode::Kind::kFollowedBy);
  EXPECT_EQ(root.children[0]->kind, PatternNode::Kind::kEvery);  // EVERY binds to e1 only
  EXPECT_EQ(root.children[1]->kind, PatternNode::Kind::kOr);     // OR binds tighter than ->
}

TEST(ParserTest, ErrorsHaveLineColumnAndCaret) {
  std::string out = Errors("CREATE STREAM S (a INT);\nINSERT INTO O SELEC a FROM S;\n");
  EXPECT_NE(out.find("t.sql:2:"), std::string::npos) << out;
  EXPECT_NE(out.find("^"), std::string::npos) << out;
}

TEST(ParserTest, AllStatementErrorsAreReported) {
  std::string out = Errors("CREATE STREAM S (a INTT);\nCREATE STREM T (b INT);\n");
  EXPECT_NE(out.find("t.sql:1:"), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean 'INT'?"), std::string::npos) << out;
  EXPECT_NE(out.find("t.sql:2:"), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean 'STREAM'?"), std::string::npos) << out;
}

TEST(ParserTest, SiddhiWindowGetsTheDialectForm) {
  std::string out = Errors("INSERT INTO O SELECT v FROM InputStream#window.time(10 sec);");
  EXPECT_NE(out.find("WINDOW('time', 10 sec)"), std::string::npos) << out;
}

TEST(ParserTest, SiddhiDefineGetsTheDialectForm) {
  std::string out = Errors("define stream S (a int);");
  EXPECT_NE(out.find("CREATE STREAM S"), std::string::npos) << out;
}

TEST(ParserTest, UnterminatedStringIsReported) {
  std::string out = Errors("INSERT INTO O SELECT 'abc FROM S;");
  EXPECT_NE(out.find("unterminated string"), std::string::npos) << out;
}

TEST(ParserTest, DottedAnnotationKeysParseForABetterError) {
  AppAst ast = ParseOk("@Async(buffer.size='1024') CREATE STREAM S (d STRING);");
  EXPECT_EQ(ast.statements[0].annotations[0].options[0].key, "buffer.size");
}

}  // namespace
}  // namespace sluice::sql
