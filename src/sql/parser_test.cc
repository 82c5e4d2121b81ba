#include "sql/parser.h"

#include <gtest/gtest.h>

#include <sstream>

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

// A swapped pair of letters is one edit: 'prot' is near 'port', as 'INTT' is near 'INT'.
TEST(ParserTest, SuggestionsForgiveASwapOfNeighbours) {
  EXPECT_EQ(DidYouMean("prot", {"path", "port", "host"}), "did you mean 'port'?");
  EXPECT_EQ(DidYouMean("tpoic", {"topic", "format"}), "did you mean 'topic'?");
  EXPECT_EQ(DidYouMean("xyz", {"port", "topic"}), "");
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

// Deep input is an error at its place, not a stack overflow (fuzzing found each of these).
TEST(ParserTest, NestingBeyondTheLimitIsAnErrorNotACrash) {
  auto repeat = [](const std::string& s, int n) {
    std::string r;
    for (int i = 0; i < n; ++i) r += s;
    return r;
  };
  const std::string head = "INSERT INTO O SELECT a FROM S WHERE ";
  const std::vector<std::string> deep = {
      head + repeat("(", 20000) + "b" + repeat(")", 20000) + ";",
      head + repeat("NOT ", 50000) + "b;",
      head + "a" + repeat(" + a", 100000) + " > 0;",
      head + repeat("abs(", 10000) + "a" + repeat(")", 10000) + " > 0;",
      head + repeat("- ", 30000) + "a > 0;",
      "INSERT INTO O SELECT x.a FROM PATTERN " + repeat("(", 20000) + "x=S" + repeat(")", 20000) +
          ";",
      "INSERT INTO O SELECT x.a FROM PATTERN x=S" + repeat(" AND y=S", 20000) + ";",
  };
  for (const std::string& text : deep) {
    std::string out = Errors(text);
    EXPECT_NE(out.find("nested too deeply"), std::string::npos) << out.substr(0, 300);
    EXPECT_NE(out.find("t.sql:1:"), std::string::npos) << out.substr(0, 300);
  }
  // Just inside the limit parses.
  ParseOk(head + repeat("(", kMaxNesting - 2) + "b" + repeat(")", kMaxNesting - 2) + ";");
}

TEST(ParserTest, AndOrChainsAreOneNodeWithEveryOperand) {
  std::string text = "INSERT INTO O SELECT a FROM S WHERE a = 0";
  for (int i = 1; i < 10000; ++i) text += " OR a = " + std::to_string(i);
  AppAst ast = ParseOk(text + ";");
  const Expr& where = *ast.statements[0].query->where;
  EXPECT_EQ(where.kind, Expr::Kind::kBinary);
  EXPECT_EQ(where.binary_op, BinaryOp::kOr);
  EXPECT_EQ(where.args.size(), 10000u);
  Diagnostics d;
  EXPECT_EQ(ParseExpression("a AND b AND (c OR d OR e)", &d)->ToSql(),
            "(a AND b AND (c OR d OR e))");
}

TEST(ParserTest, NumberLiteralsOutOfRangeAreErrorsThatSaySo) {
  Diagnostics d;
  ExprPtr min = ParseExpression("-9223372036854775808", &d);
  ASSERT_TRUE(min);
  EXPECT_EQ(min->literal.type(), TypeId::kBigint);
  EXPECT_EQ(min->literal.int_value(), INT64_MIN);
  ExprPtr int_min = ParseExpression("-2147483648", &d);
  EXPECT_EQ(int_min->literal.type(), TypeId::kInt);
  EXPECT_FALSE(d.has_errors());
  EXPECT_NE(Errors("INSERT INTO O SELECT 9223372036854775808 AS x FROM S;")
                .find("integer literal 9223372036854775808 is out of range for BIGINT"),
            std::string::npos);
  EXPECT_NE(Errors("INSERT INTO O SELECT 1e400 AS x FROM S;")
                .find("number literal 1e400 is out of range for DOUBLE"),
            std::string::npos);
  EXPECT_NE(Errors("INSERT INTO O SELECT a FROM S WINDOW('time', 99999999999999 DAYS);")
                .find("duration 99999999999999 DAYS is out of range"),
            std::string::npos);
  // -(INT's minimum) is not folded into a wrong constant: it is left to the evaluator.
  ExprPtr neg = ParseExpression("-(-2147483648)", &d);
  EXPECT_EQ(neg->kind, Expr::Kind::kUnary);
}

TEST(ParserTest, NegativeDurationsKeepTheirSign) {
  Diagnostics d;
  ExprPtr e = ParseExpression("-1 SECOND", &d);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->is_duration);
  EXPECT_EQ(e->literal.int_value(), -1000);
  EXPECT_EQ(e->ToSql(), "-1 SECOND");
  EXPECT_EQ(ParseExpression("-(5 SECONDS)", &d)->ToSql(), "-5 SECONDS");
}

TEST(DiagnosticsTest, ALongLineIsShownAsAWindowAroundTheCaret) {
  std::string text = "CREATE STREAM S (a INT);\n";
  for (int i = 0; i < 400; ++i) text += "INSERT INTO O SELECT a FROM S; ";
  text += "INSERT INTO O SELECT a FORM S;\n";
  std::string out = Errors(text);
  std::istringstream lines(out);
  std::string line;
  size_t longest = 0;
  while (std::getline(lines, line)) longest = std::max(longest, line.size());
  EXPECT_LT(longest, static_cast<size_t>(kMaxLineShown + 20)) << out;
  EXPECT_NE(out.find("..."), std::string::npos) << out;
  EXPECT_NE(out.find("FORM"), std::string::npos) << out;
}

TEST(DiagnosticsTest, ListingStopsAfterTheLimitAndSaysHowManyMore) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "CREATE STREM S" + std::to_string(i) + " (a INT);\n";
  Diagnostics d;
  Parse(text, &d);
  EXPECT_EQ(d.error_count(), kMaxDiagnosticsShown);  // the parser stops at the limit
  std::string many;
  for (int i = 0; i < 70; ++i) many += "x";
  Diagnostics e;
  for (int i = 0; i < 70; ++i) e.Error({1, 1}, "bad");
  std::string out = e.Format(many, "t.sql");
  EXPECT_NE(out.find("stopped after 50 errors; 20 more not shown"), std::string::npos) << out;
}

TEST(DiagnosticsTest, NulBytesAndControlCharactersDoNotCutTheListing) {
  std::string text = "CREATE STREAM S (a INT);\nINSERT INTO O SELECT a FROM S WHERE ";
  text.push_back('\0');
  text += " a > 1;\nINSERT INTO P SELECT nope( FROM S;\n";
  std::string out = Errors(text);
  EXPECT_EQ(out.find('\0'), std::string::npos);
  EXPECT_NE(out.find("unexpected character 0x00 (a NUL byte)"), std::string::npos) << out;
  EXPECT_NE(out.find("t.sql:3:"), std::string::npos) << out;  // what follows is still reported
}

TEST(DiagnosticsTest, AByteOrderMarkIsAccepted) {
  ParseOk(
      "\xEF\xBB\xBF"
      "CREATE STREAM S (a INT);");
  std::string out = Errors(
      "\xEF\xBB\xBF"
      "CREATE STREAM S (a INTT);");
  EXPECT_NE(out.find("t.sql:1:20:"), std::string::npos) << out;  // columns after the mark
}

// App-wide settings as in Flink's SQL client (DIALECT.md).
TEST(ParserTest, SetStatementsAreAppSettings) {
  AppAst ast = ParseOk(
      "SET 'state.ttl' = '1 hour';\n"
      "SET state.max.keys = '1000';\n"
      "CREATE STREAM S (a INT);");
  ASSERT_EQ(ast.settings.size(), 2u);
  EXPECT_EQ(ast.settings[0].key, "state.ttl");
  EXPECT_EQ(ast.settings[0].value, "1 hour");
  EXPECT_EQ(ast.settings[1].key, "state.max.keys");
  EXPECT_EQ(ast.settings[1].value_loc.line, 2);
  EXPECT_EQ(ast.statements.size(), 1u);
  EXPECT_NE(Errors("SET 'state.ttl' '1 hour';").find("t.sql:1:17: error: expected '='"),
            std::string::npos)
      << Errors("SET 'state.ttl' '1 hour';");
  EXPECT_NE(Errors("@name('q') SET 'state.ttl' = '1 s';").find("cannot go before SET"),
            std::string::npos);
  EXPECT_NE(Errors("SET 'a' = 'b' CREATE STREAM S (a INT);").find("expected ';' after the SET"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::sql
