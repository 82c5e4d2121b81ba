#include "sql/parser.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "common/format.h"
#include "sql/interval.h"
#include "sql/lexer.h"
#include "sql/metric_comments.h"

namespace sluice::sql {

namespace {

// Thrown after a diagnostic was recorded; caught per statement to resynchronise.
struct ParseAbort {};

const char* const kReserved[] = {
    "SELECT",    "FROM",    "WHERE",    "GROUP",  "BY",     "HAVING",  "ORDER",    "LIMIT",
    "OFFSET",    "INSERT",  "INTO",     "AND",    "OR",     "NOT",     "AS",       "ON",
    "JOIN",      "LEFT",    "RIGHT",    "FULL",   "INNER",  "OUTER",   "CROSS",    "WINDOW",
    "EMIT",      "OUTPUT",  "CASE",     "WHEN",   "THEN",   "ELSE",    "END",      "IN",
    "IS",        "BETWEEN", "LIKE",     "WITHIN", "EVERY",  "PATTERN", "SEQUENCE", "UNIDIRECTIONAL",
    "PARTITION", "UPDATE",  "DELETE",   "SET",    "CREATE", "WITH",    "NULL",     "TRUE",
    "FALSE",     "CAST",    "DISTINCT", "FOR",    "UNION",  "USING",   "UPSERT",   "ASC",
    "DESC"};

const char* const kStatementKeywords[] = {"CREATE", "INSERT", "SELECT", "UPDATE",
                                          "DELETE", "UPSERT", "SET"};

bool IsReservedWord(const Token& t) {
  if (t.kind != Tok::kWord) return false;
  for (const char* r : kReserved)
    if (t.Is(r)) return true;
  return false;
}

std::string Upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r;
}

class Parser {
 public:
  Parser(std::string_view src, Diagnostics* diags) : src_(src), diags_(diags) {
    toks_ = Lex(src, diags);
  }

  AppAst ParseApp() {
    AppAst app;
    while (!At(Tok::kEnd) && !diags_->error_limit_reached()) {
      if (Accept(Tok::kSemicolon)) continue;
      size_t start = pos_;
      try {
        ParseStatement(&app);
      } catch (const ParseAbort&) {
        if (pos_ == start) ++pos_;
        SkipToStatementEnd();
      }
    }
    return app;
  }

  ExprPtr ParseStandaloneExpression() {
    try {
      ExprPtr e = ParseExpr();
      if (!At(Tok::kEnd)) ErrorAt(Cur(), "unexpected " + Describe(Cur()) + " after expression");
      return e;
    } catch (const ParseAbort&) {
      return nullptr;
    }
  }

 private:
  // ---- token helpers ---------------------------------------------------------------------------
  const Token& Cur() const { return toks_[pos_]; }
  const Token& PeekTok(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  bool At(Tok k) const { return Cur().kind == k; }
  bool AtWord(std::string_view kw) const { return Cur().Is(kw); }
  bool Accept(Tok k) {
    if (!At(k)) return false;
    ++pos_;
    return true;
  }
  bool AcceptWord(std::string_view kw) {
    if (!AtWord(kw)) return false;
    ++pos_;
    return true;
  }
  const Token& Next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }

  // A token for a message: quoted, control characters shown as '?', a long one cut short.
  std::string Describe(const Token& t) const {
    if (t.kind == Tok::kEnd) return "end of input";
    std::string text(t.text.substr(0, 40));
    for (char& c : text)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return "'" + text + (t.text.size() > 40 ? "...'" : "'");
  }

  [[noreturn]] void ErrorAt(const Token& t, std::string msg, std::string suggestion = "") {
    // The lexer has reported an invalid character already.
    if (t.kind != Tok::kInvalid)
      diags_->Error(t.loc, std::move(msg), std::move(suggestion), t.length());
    throw ParseAbort{};
  }

  // Counts levels of nesting on the way down (see kMaxNesting); gives them back on the way up,
  // also when an error unwinds the parse.
  class Nesting {
   public:
    explicit Nesting(Parser* p) : p_(p) {}
    ~Nesting() { p_->depth_ -= levels_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    void Enter(const Token& at) {
      ++levels_;
      if (++p_->depth_ > kMaxNesting)
        p_->ErrorAt(at,
                    "nested too deeply: expressions and patterns may nest at most " +
                        std::to_string(kMaxNesting) +
                        " levels (parentheses, calls, NOT, and each operator of a chain)",
                    "split it into simpler expressions, or use IN (...) for a long list of values");
    }

   private:
    Parser* p_;
    int levels_ = 0;
  };

  void Expect(Tok k, const char* context) {
    if (Accept(k)) return;
    ErrorAt(Cur(),
            std::string("expected ") + TokName(k) + " " + context + ", found " + Describe(Cur()));
  }

  void ExpectWord(std::string_view kw, const char* context) {
    if (AcceptWord(kw)) return;
    std::string suggestion;
    if (Cur().kind == Tok::kWord) {
      suggestion = DidYouMean(Cur().text, {std::string(kw)});
    }
    ErrorAt(Cur(), "expected " + std::string(kw) + " " + context + ", found " + Describe(Cur()),
            suggestion);
  }

  // An identifier: a non-reserved word or a `quoted` name.
  std::string ExpectIdent(const char* what) {
    if (At(Tok::kQuotedIdent)) return Next().value;
    if (At(Tok::kWord) && !IsReservedWord(Cur())) return std::string(Next().text);
    std::string hint;
    if (At(Tok::kWord))
      hint = "'" + std::string(Cur().text) + "' is a keyword; to use it as a name, quote it: `" +
             std::string(Cur().text) + "`";
    ErrorAt(Cur(), std::string("expected ") + what + ", found " + Describe(Cur()), hint);
  }
  // A name in a definition: any word (even a keyword like `timestamp` or `value`).
  std::string ExpectAnyName(const char* what) {
    if (At(Tok::kQuotedIdent)) return Next().value;
    if (At(Tok::kWord)) return std::string(Next().text);
    ErrorAt(Cur(), std::string("expected ") + what + ", found " + Describe(Cur()));
  }
  bool AtIdent() const {
    return At(Tok::kQuotedIdent) || (At(Tok::kWord) && !IsReservedWord(Cur()));
  }

  void SkipToStatementEnd() {
    int depth = 0;
    while (!At(Tok::kEnd)) {
      if (At(Tok::kLParen)) ++depth;
      if (At(Tok::kRParen) && depth > 0) --depth;
      if (At(Tok::kSemicolon) && depth == 0) {
        ++pos_;
        return;
      }
      // A statement keyword at the start of a line after a missing ';' starts afresh.
      ++pos_;
      if (depth == 0 && Cur().loc.col == 1 &&
          (AtWord("CREATE") || AtWord("INSERT") || AtWord("SET") || At(Tok::kAt)))
        return;
    }
  }

  // ---- statements ------------------------------------------------------------------------------
  void ParseStatement(AppAst* app) {
    std::vector<Annotation> annotations;
    while (At(Tok::kAt)) {
      Annotation a = ParseAnnotation();
      std::string lower = a.name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "app" || lower.rfind("app:", 0) == 0) {
        app->app_annotations.push_back(std::move(a));
      } else {
        annotations.push_back(std::move(a));
      }
    }
    if (At(Tok::kEnd) || At(Tok::kSemicolon)) {
      if (!annotations.empty())
        diags_->Error(annotations.back().loc,
                      "annotation @" + annotations.back().name + " is not followed by a statement");
      return;
    }
    if (AtWord("SET")) {
      // An app-wide setting, as in Flink's SQL client: SET 'name' = 'value';
      if (!annotations.empty())
        diags_->Error(annotations.front().loc, "annotation @" + annotations.front().name +
                                                   " cannot go before SET: it sets the whole app");
      Next();
      Property p;
      p.loc = Cur().loc;
      if (!At(Tok::kString) && !At(Tok::kDqString) && !At(Tok::kWord))
        ErrorAt(Cur(), "expected a setting name such as 'state.ttl', found " + Describe(Cur()),
                "write: SET 'state.ttl' = '1 hour';");
      if (At(Tok::kWord)) {
        p.key = std::string(Next().text);
        while (Accept(Tok::kDot)) p.key += "." + ExpectAnyName("a setting name");
      } else {
        p.key = Next().value;
      }
      Expect(Tok::kEq, "after the setting name");
      p.value_loc = Cur().loc;
      p.value = ParseOptionValue();
      app->settings.push_back(std::move(p));
      if (!Accept(Tok::kSemicolon) && !At(Tok::kEnd)) {
        const Token& prev = toks_[pos_ - 1];
        Loc after{prev.loc.line, prev.loc.col + prev.length()};
        diags_->Error(after, "expected ';' after the SET statement, found " + Describe(Cur()));
        throw ParseAbort{};
      }
      return;
    }
    Statement st;
    st.loc = Cur().loc;
    st.annotations = std::move(annotations);
    if (AtWord("CREATE")) {
      st.kind = Statement::Kind::kCreate;
      st.create = ParseCreate();
    } else if (AtWord("DEFINE")) {
      SiddhiDefine();
    } else if (AtWord("FROM")) {
      ErrorAt(Cur(), "a query starts with SELECT or INSERT INTO, not FROM (Siddhi's order)",
              "write: INSERT INTO Out SELECT ... FROM Stream WHERE ...;");
    } else if (AtWord("INSERT") || AtWord("SELECT") || AtWord("UPDATE") || AtWord("DELETE") ||
               AtWord("UPSERT")) {
      st.kind = Statement::Kind::kQuery;
      st.query = ParseQuery();
      st.query->annotations = std::move(st.annotations);
      st.annotations.clear();
    } else {
      std::string suggestion;
      if (Cur().kind == Tok::kWord) {
        std::vector<std::string> kws(std::begin(kStatementKeywords), std::end(kStatementKeywords));
        suggestion = DidYouMean(Cur().text, kws);
      }
      ErrorAt(Cur(),
              "expected a statement (CREATE STREAM, CREATE TABLE, INSERT INTO ... SELECT, "
              "SELECT ... INSERT INTO), found " +
                  Describe(Cur()),
              suggestion);
    }
    if (!Accept(Tok::kSemicolon) && !At(Tok::kEnd)) {
      const Token& prev = toks_[pos_ - 1];
      Loc after{prev.loc.line, prev.loc.col + prev.length()};
      diags_->Error(after, "expected ';' after the statement, found " + Describe(Cur()));
      app->statements.push_back(std::move(st));
      throw ParseAbort{};
    }
    app->statements.push_back(std::move(st));
  }

  [[noreturn]] void SiddhiDefine() {
    const Token& t = Cur();
    std::string what = PeekTok().kind == Tok::kWord ? Upper(PeekTok().text) : "STREAM";
    std::string name = PeekTok(2).kind == Tok::kWord ? std::string(PeekTok(2).text) : "Name";
    ErrorAt(t, "'define " + std::string(PeekTok().text) + "' is Siddhi syntax, not the dialect's",
            "write: CREATE " + what + " " + name + " (attribute TYPE, ...);");
  }

  Annotation ParseAnnotation() {
    Annotation a;
    a.loc = Cur().loc;
    Expect(Tok::kAt, "to start an annotation");
    a.name = ExpectAnyName("an annotation name");
    if (Accept(Tok::kColon)) a.name += ":" + ExpectAnyName("an annotation name after ':'");
    if (Accept(Tok::kLParen)) {
      if (!At(Tok::kRParen)) {
        do {
          AnnotationOption o;
          o.loc = Cur().loc;
          bool keyed = (At(Tok::kWord) || At(Tok::kString) || At(Tok::kDqString)) &&
                       (PeekTok().kind == Tok::kEq || PeekTok().kind == Tok::kDot);
          if (keyed) {
            o.key = At(Tok::kWord) ? std::string(Next().text) : Next().value;
            while (Accept(Tok::kDot)) o.key += "." + ExpectAnyName("an option name");
            Expect(Tok::kEq, "after the option name");
          }
          o.value = ParseOptionValue();
          a.options.push_back(std::move(o));
        } while (Accept(Tok::kComma));
      }
      Expect(Tok::kRParen, "to close the annotation");
    }
    return a;
  }

  std::string ParseOptionValue() {
    const Token& t = Cur();
    switch (t.kind) {
      case Tok::kString:
      case Tok::kDqString:
        return Next().value;
      case Tok::kInteger:
      case Tok::kNumber:
      case Tok::kWord:
        return std::string(Next().text);
      case Tok::kMinus:
        Next();
        if (At(Tok::kInteger) || At(Tok::kNumber)) return "-" + std::string(Next().text);
        [[fallthrough]];
      default:
        ErrorAt(t, "expected an option value (a quoted string), found " + Describe(t));
    }
  }

  std::unique_ptr<CreateStmt> ParseCreate() {
    auto c = std::make_unique<CreateStmt>();
    c->loc = Cur().loc;
    ExpectWord("CREATE", "");
    if (AcceptWord("TABLE")) {
      c->is_table = true;
    } else if (!AcceptWord("STREAM")) {
      std::string s = Cur().kind == Tok::kWord ? DidYouMean(Cur().text, {"STREAM", "TABLE"}) : "";
      ErrorAt(Cur(), "expected STREAM or TABLE after CREATE, found " + Describe(Cur()), s);
    }
    c->name_loc = Cur().loc;
    c->name = ExpectIdent(c->is_table ? "a table name" : "a stream name");
    if (AtWord("WITH")) c->with = ParseWith();
    if (AcceptWord("AS")) {
      if (!AtWord("SELECT")) ErrorAt(Cur(), "expected SELECT after AS, found " + Describe(Cur()));
      c->as_query = ParseQuery();
      if (AtWord("WITH")) {
        auto more = ParseWith();
        for (auto& p : more) c->with.push_back(std::move(p));
      }
      return c;
    }
    Expect(Tok::kLParen, "to start the attribute list");
    do {
      if (AtWord("PRIMARY")) {  // table-level PRIMARY KEY (a)
        Next();
        ExpectWord("KEY", "after PRIMARY");
        Expect(Tok::kLParen, "after PRIMARY KEY");
        do {
          Loc l = Cur().loc;
          std::string col = ExpectAnyName("a column name");
          bool found = false;
          for (ColumnDef& d : c->columns)
            if (d.name == col) d.primary_key = found = true;
          if (!found) diags_->Error(l, "PRIMARY KEY names '" + col + "', which is not defined");
        } while (Accept(Tok::kComma));
        Expect(Tok::kRParen, "to close PRIMARY KEY");
        continue;
      }
      ColumnDef d;
      d.loc = Cur().loc;
      d.name = ExpectAnyName("an attribute name");
      d.type = ParseType();
      if (AcceptWord("PRIMARY")) {
        ExpectWord("KEY", "after PRIMARY");
        d.primary_key = true;
      }
      if (AcceptWord("NOT")) ExpectWord("NULL", "after NOT");
      c->columns.push_back(std::move(d));
    } while (Accept(Tok::kComma));
    Expect(Tok::kRParen, "to close the attribute list");
    if (AtWord("WITH")) {
      auto more = ParseWith();
      for (auto& p : more) c->with.push_back(std::move(p));
    }
    return c;
  }

  DataType ParseType() {
    const Token& t = Cur();
    if (t.kind != Tok::kWord) ErrorAt(t, "expected a type, found " + Describe(t));
    std::string u = Upper(t.text);
    Next();
    if (u == "STRING" || u == "VARCHAR" || u == "TEXT") {
      if (Accept(Tok::kLParen)) {  // VARCHAR(n): length is not enforced
        Expect(Tok::kInteger, "as the length");
        Expect(Tok::kRParen, "after the length");
      }
      return DataType::String();
    }
    if (u == "INT" || u == "INTEGER") return DataType::Int();
    if (u == "BIGINT" || u == "LONG") return DataType::Bigint();
    if (u == "FLOAT" || u == "REAL") return DataType::Float();
    if (u == "DOUBLE") {
      AcceptWord("PRECISION");
      return DataType::Double();
    }
    if (u == "BOOL" || u == "BOOLEAN") return DataType::Bool();
    if (u == "TIMESTAMP") return DataType::Timestamp();
    if (u == "DECIMAL" || u == "NUMERIC") {
      int p = 18, s = 0;
      if (Accept(Tok::kLParen)) {
        const Token& pt = Cur();
        Expect(Tok::kInteger, "as the DECIMAL precision");
        p = std::atoi(std::string(pt.text).c_str());
        if (Accept(Tok::kComma)) {
          const Token& st = Cur();
          Expect(Tok::kInteger, "as the DECIMAL scale");
          s = std::atoi(std::string(st.text).c_str());
        }
        Expect(Tok::kRParen, "to close DECIMAL(p, s)");
        if (p < 1 || p > 18 || s < 0 || s > p)
          ErrorAt(pt, "DECIMAL(" + std::to_string(p) + "," + std::to_string(s) +
                          ") is out of range: precision 1..18, scale 0..precision");
      }
      return DataType::Decimal(p, s);
    }
    std::vector<std::string> names = {"STRING", "INT",  "INTEGER", "BIGINT",  "LONG",     "FLOAT",
                                      "DOUBLE", "BOOL", "BOOLEAN", "DECIMAL", "TIMESTAMP"};
    --pos_;
    ErrorAt(t, "unknown type '" + std::string(t.text) + "'", DidYouMean(t.text, names));
  }

  std::vector<Property> ParseWith() {
    std::vector<Property> props;
    ExpectWord("WITH", "");
    Expect(Tok::kLParen, "after WITH");
    if (!At(Tok::kRParen)) {
      do {
        Property p;
        p.loc = Cur().loc;
        if (At(Tok::kString) || At(Tok::kDqString)) {
          p.key = Next().value;
        } else if (At(Tok::kWord)) {
          p.key = std::string(Next().text);
          while (Accept(Tok::kDot)) p.key += "." + ExpectAnyName("a property name");
        } else {
          ErrorAt(Cur(), "expected a property name such as 'connector', found " + Describe(Cur()));
        }
        Expect(Tok::kEq, "after the property name");
        p.value_loc = Cur().loc;
        p.value = ParseOptionValue();
        props.push_back(std::move(p));
      } while (Accept(Tok::kComma));
    }
    Expect(Tok::kRParen, "to close WITH (...)");
    return props;
  }

  // ---- queries ---------------------------------------------------------------------------------
  OutputClause ParseInsertClause() {
    OutputClause o;
    o.loc = Cur().loc;
    ExpectWord("INSERT", "");
    if (AcceptWord("EXPIRED")) {
      ExpectWord("EVENTS", "after INSERT EXPIRED");
      o.events = OutputEvents::kExpired;
    } else if (AcceptWord("ALL")) {
      ExpectWord("EVENTS", "after INSERT ALL");
      o.events = OutputEvents::kAll;
    } else if (AcceptWord("CURRENT")) {
      ExpectWord("EVENTS", "after INSERT CURRENT");
    }
    ExpectWord("INTO", "after INSERT");
    o.target_loc = Cur().loc;
    o.target = ExpectIdent("a stream or table name after INSERT INTO");
    return o;
  }

  void ParseSetList(OutputClause* o) {
    do {
      OutputClause::Set s;
      s.loc = Cur().loc;
      std::string first = ExpectAnyName("a column to set");
      if (Accept(Tok::kDot)) {
        if (first != o->target)
          diags_->Error(s.loc,
                        "SET names '" + first + "', but the table written is '" + o->target + "'");
        s.column = ExpectAnyName("a column to set");
      } else {
        s.column = first;
      }
      Expect(Tok::kEq, "after the column in SET");
      s.value = ParseExpr();
      o->sets.push_back(std::move(s));
    } while (Accept(Tok::kComma));
  }

  // UPDATE T SET ... ON cond | UPDATE OR INSERT INTO T [SET ...] ON cond | DELETE T ON cond.
  // Returns false for the seed forms that carry their own FROM (handled by the caller).
  OutputClause ParseTableWriteClause() {
    OutputClause o;
    o.loc = Cur().loc;
    if (AcceptWord("DELETE")) {
      o.kind = OutputClause::Kind::kDelete;
      o.target = ExpectIdent("a table name after DELETE");
      ExpectWord("ON", "after DELETE table");
      o.on = ParseExpr();
      return o;
    }
    ExpectWord("UPDATE", "");
    if (AcceptWord("OR")) {
      ExpectWord("INSERT", "after UPDATE OR");
      ExpectWord("INTO", "after UPDATE OR INSERT");
      o.kind = OutputClause::Kind::kUpsert;
      o.target = ExpectIdent("a table name");
      if (AcceptWord("SET")) ParseSetList(&o);
    } else {
      o.kind = OutputClause::Kind::kUpdate;
      o.target = ExpectIdent("a table name after UPDATE");
      ExpectWord("SET", "after UPDATE table");
      ParseSetList(&o);
    }
    ExpectWord("ON", "to say which rows to change");
    o.on = ParseExpr();
    return o;
  }

  static ExprPtr MakeStar(Loc loc) { return std::make_unique<Expr>(Expr::Kind::kStar, loc); }

  std::unique_ptr<Query> ParseQuery() {
    auto q = std::make_unique<Query>();
    q->loc = Cur().loc;
    bool upsert_from_on = false;
    if (AtWord("INSERT")) {
      q->output = ParseInsertClause();
    } else if (AtWord("UPSERT")) {  // seed form: UPSERT INTO T SELECT ... FROM s ON cond
      OutputClause o;
      o.loc = Cur().loc;
      Next();
      ExpectWord("INTO", "after UPSERT");
      o.kind = OutputClause::Kind::kUpsert;
      o.target = ExpectIdent("a table name");
      q->output = std::move(o);
      upsert_from_on = true;
    } else if (AtWord("DELETE") && PeekTok().Is("FROM")) {
      // seed form: DELETE FROM T USING s WHERE cond
      OutputClause o;
      o.loc = Cur().loc;
      o.kind = OutputClause::Kind::kDelete;
      Next(), Next();
      o.target = ExpectIdent("a table name");
      ExpectWord("USING", "(DELETE FROM table USING stream WHERE ...)");
      q->from.kind = FromClause::Kind::kStream;
      q->from.loc = Cur().loc;
      q->from.stream = ParseStreamRef();
      ExpectWord("WHERE", "(DELETE FROM table USING stream WHERE ...)");
      o.on = ParseExpr();
      q->output = std::move(o);
      SelectItem all;
      all.loc = q->loc;
      all.expr = MakeStar(q->loc);
      q->select.push_back(std::move(all));
      return q;
    } else if (AtWord("UPDATE") || AtWord("DELETE")) {
      // UPDATE T SET c = s.x FROM s WHERE cond (seed form) or the output clause written first.
      size_t save = pos_;
      if (AtWord("UPDATE") && !PeekTok().Is("OR")) {
        OutputClause o;
        o.loc = Cur().loc;
        Next();
        o.kind = OutputClause::Kind::kUpdate;
        o.target = ExpectIdent("a table name after UPDATE");
        ExpectWord("SET", "after UPDATE table");
        ParseSetList(&o);
        if (AcceptWord("FROM")) {
          q->from.kind = FromClause::Kind::kStream;
          q->from.loc = Cur().loc;
          q->from.stream = ParseStreamRef();
          ExpectWord("WHERE", "(UPDATE table SET ... FROM stream WHERE ...)");
          o.on = ParseExpr();
          q->output = std::move(o);
          SelectItem all;
          all.loc = q->loc;
          all.expr = MakeStar(q->loc);
          q->select.push_back(std::move(all));
          return q;
        }
        pos_ = save;
      }
      q->output = ParseTableWriteClause();
    }
    ParseSelectCore(q.get());
    if (upsert_from_on) {
      ExpectWord("ON", "(UPSERT INTO table SELECT ... FROM stream ON condition)");
      q->output->on = ParseExpr();
    }
    if (!q->output) {
      if (AtWord("INSERT")) {
        q->output = ParseInsertClause();
      } else if (AtWord("UPDATE") || AtWord("DELETE")) {
        q->output = ParseTableWriteClause();
      } else if (!AtWord("WITH")) {
        // CSAS/CTAS bodies have no output clause; the caller knows.
      }
    }
    // Rate limiting and EMIT may also follow the output clause.
    ParseTrailingClauses(q.get());
    return q;
  }

  void ParseSelectCore(Query* q) {
    ExpectWord("SELECT", "to start the query");
    if (AcceptWord("DISTINCT")) q->distinct = true;
    do {
      SelectItem item;
      item.loc = Cur().loc;
      if (At(Tok::kStar)) {
        item.expr = MakeStar(Cur().loc);
        Next();
      } else if ((At(Tok::kWord) || At(Tok::kQuotedIdent)) && PeekTok().kind == Tok::kDot &&
                 PeekTok(2).kind == Tok::kStar) {
        item.expr = MakeStar(Cur().loc);
        item.expr->qualifier = At(Tok::kQuotedIdent) ? Cur().value : std::string(Cur().text);
        Next(), Next(), Next();
      } else {
        item.expr = ParseExpr();
        if (AcceptWord("AS")) {
          item.alias = ExpectAnyName("an alias after AS");
        } else if (AtIdent() && !AtWord("FROM")) {
          item.alias = ExpectIdent("an alias");
        }
      }
      q->select.push_back(std::move(item));
    } while (Accept(Tok::kComma));
    if (!AtWord("FROM")) {
      std::string s = Cur().kind == Tok::kWord ? DidYouMean(Cur().text, {"FROM"}) : "";
      ErrorAt(Cur(), "expected FROM after the select list, found " + Describe(Cur()), s);
    }
    Next();
    ParseFrom(&q->from);
    if (AcceptWord("PARTITION")) {
      ExpectWord("BY", "after PARTITION");
      do q->from.partition_by.push_back(ParseExpr());
      while (Accept(Tok::kComma));
    }
    if (AcceptWord("WHERE")) q->where = ParseExpr();
    if (AcceptWord("GROUP")) {
      ExpectWord("BY", "after GROUP");
      do q->group_by.push_back(ParseExpr());
      while (Accept(Tok::kComma));
    }
    if (AcceptWord("HAVING")) q->having = ParseExpr();
    if (AcceptWord("ORDER")) {
      ExpectWord("BY", "after ORDER");
      do {
        OrderItem o;
        o.expr = ParseExpr();
        if (AcceptWord("DESC")) {
          o.descending = true;
        } else {
          AcceptWord("ASC");
        }
        q->order_by.push_back(std::move(o));
      } while (Accept(Tok::kComma));
    }
    if (AcceptWord("LIMIT")) {
      q->limit = ParseExpr();
      if (AcceptWord("OFFSET")) q->offset = ParseExpr();
    } else if (AcceptWord("OFFSET")) {
      q->offset = ParseExpr();
    }
    ParseTrailingClauses(q);
  }

  void ParseTrailingClauses(Query* q) {
    while (true) {
      if (AtWord("EMIT")) {
        q->emit_loc = Cur().loc;
        Next();
        if (AcceptWord("CHANGES")) {
          q->emit = EmitMode::kChanges;
        } else if (AcceptWord("FINAL")) {
          q->emit = EmitMode::kFinal;
        } else {
          std::string s =
              Cur().kind == Tok::kWord ? DidYouMean(Cur().text, {"CHANGES", "FINAL"}) : "";
          ErrorAt(Cur(), "expected CHANGES or FINAL after EMIT, found " + Describe(Cur()), s);
        }
      } else if (AtWord("OUTPUT")) {
        OutputRate r;
        r.loc = Cur().loc;
        Next();
        if (AcceptWord("ALL")) {
          r.kind = OutputRate::Kind::kAll;
        } else if (AcceptWord("FIRST")) {
          r.kind = OutputRate::Kind::kFirst;
        } else if (AcceptWord("LAST")) {
          r.kind = OutputRate::Kind::kLast;
        } else if (AcceptWord("SNAPSHOT")) {
          r.kind = OutputRate::Kind::kSnapshot;
        }
        ExpectWord("EVERY", "in OUTPUT ... EVERY");
        ExprPtr amount = ParseExpr();
        if (AcceptWord("EVENTS") || AcceptWord("EVENT")) {
          if (amount->kind != Expr::Kind::kLiteral || amount->is_duration ||
              !(amount->literal.type() == TypeId::kInt ||
                amount->literal.type() == TypeId::kBigint) ||
              amount->literal.int_value() <= 0)
            ErrorAt(toks_[pos_ - 2], "OUTPUT EVERY n EVENTS needs a positive integer");
          r.by_events = true;
          r.events = amount->literal.int_value();
        } else {
          r.duration = std::move(amount);
        }
        q->rate = std::move(r);
      } else {
        return;
      }
    }
  }

  void ParseFrom(FromClause* from) {
    from->loc = Cur().loc;
    if (AtWord("PATTERN") || AtWord("SEQUENCE")) {
      from->kind = FromClause::Kind::kPattern;
      from->pattern = std::make_unique<PatternSpec>();
      from->pattern->is_sequence = AtWord("SEQUENCE");
      from->pattern->loc = Cur().loc;
      Next();
      in_sequence_ = from->pattern->is_sequence;
      from->pattern->root = ParsePatternSeq();
      in_sequence_ = false;
      if (AcceptWord("WITHIN")) from->pattern->within = ParseExpr();
      return;
    }
    StreamRef left = ParseStreamRef();
    JoinType jt;
    Loc join_loc = Cur().loc;
    if (ParseJoinKeyword(&jt)) {
      from->kind = FromClause::Kind::kJoin;
      from->join = std::make_unique<JoinSpec>();
      from->join->type = jt;
      from->join->loc = join_loc;
      from->join->left = std::move(left);
      from->join->right = ParseStreamRef();
      if (AcceptWord("ON")) from->join->on = ParseExpr();
      return;
    }
    from->kind = FromClause::Kind::kStream;
    from->stream = std::move(left);
  }

  bool ParseJoinKeyword(JoinType* jt) {
    if (AcceptWord("JOIN")) return *jt = JoinType::kInner, true;
    if (AtWord("INNER") || AtWord("CROSS")) {
      Next();
      ExpectWord("JOIN", "after INNER/CROSS");
      return *jt = JoinType::kInner, true;
    }
    JoinType t;
    if (AtWord("LEFT")) {
      t = JoinType::kLeftOuter;
    } else if (AtWord("RIGHT")) {
      t = JoinType::kRightOuter;
    } else if (AtWord("FULL")) {
      t = JoinType::kFullOuter;
    } else {
      return false;
    }
    Next();
    AcceptWord("OUTER");
    ExpectWord("JOIN", "after LEFT/RIGHT/FULL [OUTER]");
    *jt = t;
    return true;
  }

  StreamRef ParseStreamRef() {
    StreamRef s;
    s.loc = Cur().loc;
    if (Accept(Tok::kBang)) s.fault = true;
    s.name = ExpectIdent("a stream name");
    if (Accept(Tok::kLBracket)) {
      s.filter = ParseExpr();
      Expect(Tok::kRBracket, "to close the stream filter");
    }
    if (At(Tok::kHash)) SiddhiWindow();
    if (AtWord("WINDOW")) s.window = ParseWindow();
    if (AcceptWord("AS")) {
      s.alias = ExpectIdent("an alias after AS");
    } else if (AtIdent() && !AtWord("UNIDIRECTIONAL")) {
      s.alias = ExpectIdent("an alias");
    }
    if (AcceptWord("UNIDIRECTIONAL")) s.unidirectional = true;
    if (!s.window && AtWord("WINDOW")) s.window = ParseWindow();  // FROM S AS s WINDOW(...)
    return s;
  }

  // FROM S#window.time(10 sec): reports the dialect's form, with the same arguments.
  [[noreturn]] void SiddhiWindow() {
    const Token& hash = Cur();
    Next();
    std::string kind = "length";
    if (AcceptWord("WINDOW") && Accept(Tok::kDot) && At(Tok::kWord)) {
      kind = std::string(Next().text);
    }
    std::string args;
    if (At(Tok::kLParen)) {
      size_t start = Cur().loc.col;
      int line = Cur().loc.line;
      int depth = 0;
      const Token* last = &Cur();
      do {
        if (At(Tok::kLParen)) ++depth;
        if (At(Tok::kRParen)) --depth;
        last = &Cur();
        Next();
      } while (depth > 0 && !At(Tok::kEnd));
      if (last->loc.line == line) {
        size_t line_start =
            static_cast<size_t>(last->text.data() - src_.data()) - (last->loc.col - 1);
        args = std::string(src_.substr(line_start + start, last->loc.col - start - 1));
      }
    }
    std::string fix = "WINDOW('" + kind + "'" + (args.empty() ? "" : ", " + args) + ")";
    diags_->Error(hash.loc, "'#window." + kind + "(...)' is Siddhi's window syntax",
                  "write: " + fix, 1);
    throw ParseAbort{};
  }

  WindowSpec ParseWindow() {
    WindowSpec w;
    w.loc = Cur().loc;
    ExpectWord("WINDOW", "");
    if (Accept(Tok::kLParen)) {
      if (!At(Tok::kString) && !At(Tok::kDqString))
        ErrorAt(Cur(), "expected the window kind as a string, e.g. WINDOW('length', 10), found " +
                           Describe(Cur()));
      w.kind = Next().value;
      while (Accept(Tok::kComma)) w.args.push_back(ParseExpr());
      Expect(Tok::kRParen, "to close WINDOW(...)");
      return w;
    }
    if (At(Tok::kWord) && PeekTok().kind == Tok::kLParen) {
      w.keyword_form = true;
      std::string kind = Upper(Cur().text);
      const Token& kt = Next();
      std::vector<std::string> forms = {"TUMBLING", "SLIDING", "SESSION", "HOPPING"};
      bool known = false;
      for (auto& f : forms) known |= f == kind;
      if (!known) {
        std::string lower = kind;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        --pos_;
        ErrorAt(kt, "unknown window form '" + std::string(kt.text) + "'",
                "write WINDOW TUMBLING(...), WINDOW SLIDING(size, slide), WINDOW SESSION(gap) "
                "or WINDOW('" +
                    std::string(kt.text) + "', ...)");
      }
      w.kind = kind == "HOPPING"    ? "sliding"
               : kind == "TUMBLING" ? "tumbling"
               : kind == "SLIDING"  ? "sliding"
                                    : "session";
      Expect(Tok::kLParen, "after the window form");
      if (!At(Tok::kRParen)) {
        do w.args.push_back(ParseExpr());
        while (Accept(Tok::kComma));
      }
      Expect(Tok::kRParen, "to close the window");
      return w;
    }
    ErrorAt(Cur(), "expected WINDOW('kind', ...) or WINDOW TUMBLING|SLIDING|SESSION(...), found " +
                       Describe(Cur()));
  }

  // ---- patterns --------------------------------------------------------------------------------
  bool AtFollowSeparator() const { return At(Tok::kArrow) || (in_sequence_ && At(Tok::kComma)); }

  std::unique_ptr<PatternNode> ParsePatternSeq() {
    auto first = ParsePatternLogical();
    if (!AtFollowSeparator()) return first;
    auto seq = std::make_unique<PatternNode>();
    seq->kind = PatternNode::Kind::kFollowedBy;
    seq->loc = first->loc;
    seq->children.push_back(std::move(first));
    while (AtFollowSeparator()) {
      Next();
      seq->children.push_back(ParsePatternLogical());
    }
    return seq;
  }

  std::unique_ptr<PatternNode> ParsePatternLogical() {
    Nesting nesting(this);
    auto left = ParsePatternUnary();
    while (AtWord("AND") || AtWord("OR")) {
      nesting.Enter(Cur());
      auto node = std::make_unique<PatternNode>();
      node->kind = AtWord("AND") ? PatternNode::Kind::kAnd : PatternNode::Kind::kOr;
      node->loc = Cur().loc;
      Next();
      node->children.push_back(std::move(left));
      node->children.push_back(ParsePatternUnary());
      left = std::move(node);
    }
    return left;
  }

  std::unique_ptr<PatternNode> ParsePatternUnary() {
    if (AtWord("EVERY")) {
      auto node = std::make_unique<PatternNode>();
      node->kind = PatternNode::Kind::kEvery;
      node->loc = Cur().loc;
      Next();
      // EVERY NOT S FOR t is EVERY (NOT S FOR t).
      node->children.push_back(AtWord("NOT") ? ParsePatternUnary() : ParsePatternAtom());
      return node;
    }
    if (AtWord("NOT")) {
      auto node = std::make_unique<PatternNode>();
      node->kind = PatternNode::Kind::kNot;
      node->loc = Cur().loc;
      Next();
      ParseElementBody(node.get(), /*allow_count=*/false);
      if (AcceptWord("FOR")) node->for_duration = ParseExpr();
      return node;
    }
    return ParsePatternAtom();
  }

  std::unique_ptr<PatternNode> ParsePatternAtom() {
    Nesting nesting(this);
    if (At(Tok::kLParen)) {
      nesting.Enter(Cur());
      Loc l = Cur().loc;
      Next();
      auto inner = ParsePatternSeq();
      if (AcceptWord("WITHIN")) inner->within = ParseExpr();
      Expect(Tok::kRParen, "to close the pattern group");
      inner->loc = l;
      return inner;
    }
    auto node = std::make_unique<PatternNode>();
    node->kind = PatternNode::Kind::kElement;
    node->loc = Cur().loc;
    ParseElementBody(node.get(), /*allow_count=*/true);
    return node;
  }

  void ParseElementBody(PatternNode* node, bool allow_count) {
    if ((At(Tok::kWord) || At(Tok::kQuotedIdent)) && PeekTok().kind == Tok::kEq) {
      node->alias = ExpectIdent("a pattern alias");
      Next();
    }
    node->stream_loc = Cur().loc;
    node->stream = ExpectIdent("a stream name in the pattern");
    if (Accept(Tok::kLBracket)) {
      node->filter = ParseExpr();
      Expect(Tok::kRBracket, "to close the element filter");
    }
    if (!allow_count) return;
    if (Accept(Tok::kLBrace)) {
      const Token& a = Cur();
      Expect(Tok::kInteger, "as the minimum count");
      node->min_count = std::atoi(std::string(a.text).c_str());
      node->max_count = node->min_count;
      if (Accept(Tok::kComma)) {
        if (At(Tok::kInteger)) {
          node->max_count = std::atoi(std::string(Next().text).c_str());
          if (node->max_count < node->min_count) ErrorAt(a, "count {n,m} needs n <= m");
        } else {
          node->max_count = -1;
        }
      }
      Expect(Tok::kRBrace, "to close the count");
    } else if (Accept(Tok::kPlus)) {
      node->min_count = 1, node->max_count = -1;
    } else if (Accept(Tok::kStar)) {
      node->min_count = 0, node->max_count = -1;
    } else if (Accept(Tok::kQuestion)) {
      node->min_count = 0, node->max_count = 1;
    }
  }

  // ---- expressions -----------------------------------------------------------------------------
  ExprPtr MakeBinary(BinaryOp op, ExprPtr l, ExprPtr r, Loc loc) {
    auto e = std::make_unique<Expr>(Expr::Kind::kBinary, loc);
    e->binary_op = op;
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

 public:
  ExprPtr ParseExpr() {
    Nesting nesting(this);
    nesting.Enter(Cur());
    return ParseOr();
  }

 private:
  // AND and OR chains become one node with every operand, so that a long chain is as deep as one
  // operator (and is parsed, bound and compiled in linear time).
  ExprPtr ParseOr() { return ParseChain("OR", BinaryOp::kOr, &Parser::ParseAnd); }
  ExprPtr ParseAnd() { return ParseChain("AND", BinaryOp::kAnd, &Parser::ParseNot); }
  ExprPtr ParseChain(std::string_view word, BinaryOp op, ExprPtr (Parser::*operand)()) {
    ExprPtr first = (this->*operand)();
    if (!AtWord(word)) return first;
    auto e = std::make_unique<Expr>(Expr::Kind::kBinary, Cur().loc);
    e->binary_op = op;
    e->args.push_back(std::move(first));
    while (AcceptWord(word)) e->args.push_back((this->*operand)());
    return e;
  }
  ExprPtr ParseNot() {
    if (AtWord("NOT")) {
      Nesting nesting(this);
      nesting.Enter(Cur());
      auto e = std::make_unique<Expr>(Expr::Kind::kUnary, Cur().loc);
      Next();
      e->unary_op = UnaryOp::kNot;
      e->args.push_back(ParseNot());
      return e;
    }
    return ParseComparison();
  }
  ExprPtr ParseComparison() {
    Nesting nesting(this);
    ExprPtr l = ParseConcat();
    while (true) {
      nesting.Enter(Cur());
      Loc loc = Cur().loc;
      BinaryOp op;
      switch (Cur().kind) {
        case Tok::kEq:
        case Tok::kEqEq:
          op = BinaryOp::kEq;
          break;
        case Tok::kNotEq:
          op = BinaryOp::kNotEq;
          break;
        case Tok::kLt:
          op = BinaryOp::kLt;
          break;
        case Tok::kLe:
          op = BinaryOp::kLe;
          break;
        case Tok::kGt:
          op = BinaryOp::kGt;
          break;
        case Tok::kGe:
          op = BinaryOp::kGe;
          break;
        default: {
          bool negated = false;
          if (AtWord("IS")) {
            Next();
            auto e = std::make_unique<Expr>(Expr::Kind::kIsNull, loc);
            if (AcceptWord("NOT")) e->negated = true;
            ExpectWord("NULL", "after IS [NOT]");
            e->args.push_back(std::move(l));
            l = std::move(e);
            continue;
          }
          if (AtWord("NOT") &&
              (PeekTok().Is("IN") || PeekTok().Is("BETWEEN") || PeekTok().Is("LIKE"))) {
            Next();
            negated = true;
          }
          if (AcceptWord("IN")) {
            auto e = std::make_unique<Expr>(Expr::Kind::kIn, loc);
            e->negated = negated;
            e->args.push_back(std::move(l));
            Expect(Tok::kLParen, "after IN");
            do e->args.push_back(ParseExpr());
            while (Accept(Tok::kComma));
            Expect(Tok::kRParen, "to close the IN list");
            l = std::move(e);
            continue;
          }
          if (AcceptWord("BETWEEN")) {
            auto e = std::make_unique<Expr>(Expr::Kind::kBetween, loc);
            e->negated = negated;
            e->args.push_back(std::move(l));
            e->args.push_back(ParseConcat());
            ExpectWord("AND", "in BETWEEN low AND high");
            e->args.push_back(ParseConcat());
            l = std::move(e);
            continue;
          }
          if (AcceptWord("LIKE")) {
            auto e = std::make_unique<Expr>(Expr::Kind::kLike, loc);
            e->negated = negated;
            e->args.push_back(std::move(l));
            e->args.push_back(ParseConcat());
            l = std::move(e);
            continue;
          }
          if (negated) ErrorAt(Cur(), "expected IN, BETWEEN or LIKE after NOT");
          return l;
        }
      }
      Next();
      l = MakeBinary(op, std::move(l), ParseConcat(), loc);
    }
  }
  // a || b: below + and -, above comparisons, as in PostgreSQL.
  ExprPtr ParseConcat() {
    Nesting nesting(this);
    ExprPtr l = ParseAdditive();
    while (At(Tok::kConcat)) {
      nesting.Enter(Cur());
      Loc loc = Cur().loc;
      Next();
      l = MakeBinary(BinaryOp::kConcat, std::move(l), ParseAdditive(), loc);
    }
    return l;
  }
  ExprPtr ParseAdditive() {
    Nesting nesting(this);
    ExprPtr l = ParseMultiplicative();
    while (At(Tok::kPlus) || At(Tok::kMinus)) {
      nesting.Enter(Cur());
      Loc loc = Cur().loc;
      BinaryOp op = At(Tok::kPlus) ? BinaryOp::kAdd : BinaryOp::kSub;
      Next();
      l = MakeBinary(op, std::move(l), ParseMultiplicative(), loc);
    }
    return l;
  }
  ExprPtr ParseMultiplicative() {
    Nesting nesting(this);
    ExprPtr l = ParseUnary();
    while (At(Tok::kStar) || At(Tok::kSlash) || At(Tok::kPercent)) {
      nesting.Enter(Cur());
      Loc loc = Cur().loc;
      BinaryOp op = At(Tok::kStar)    ? BinaryOp::kMul
                    : At(Tok::kSlash) ? BinaryOp::kDiv
                                      : BinaryOp::kMod;
      Next();
      l = MakeBinary(op, std::move(l), ParseUnary(), loc);
    }
    return l;
  }
  ExprPtr ParseUnary() {
    Nesting nesting(this);
    if (At(Tok::kMinus) || At(Tok::kPlus)) nesting.Enter(Cur());
    if (At(Tok::kMinus)) {
      Loc loc = Cur().loc;
      Next();
      // A negative number literal is read whole, so that -9223372036854775808 is a BIGINT and
      // -1 SECOND keeps its sign when it is shown.
      if (At(Tok::kInteger) || At(Tok::kNumber)) {
        ExprPtr e = ParseNumber(/*negative=*/true);
        e->loc = loc;
        return e;
      }
      ExprPtr operand = ParseUnary();
      // -(literal) is folded into a literal of the same type, unless that would overflow (the
      // minimum of INT or BIGINT), which the evaluator then reports as it does at run time.
      if (operand->kind == Expr::Kind::kLiteral && !operand->literal.is_null() &&
          operand->literal.type() != TypeId::kString && operand->literal.type() != TypeId::kBool) {
        Value& v = operand->literal;
        bool folded = true;
        if (v.type() == TypeId::kDouble) {
          v = Value(-v.double_value());
        } else if (v.type() == TypeId::kFloat) {
          v = Value::Float(static_cast<float>(-v.double_value()));
        } else if (v.type() == TypeId::kInt && v.int_value() != INT32_MIN) {
          v = Value(static_cast<int32_t>(-v.int_value()));
        } else if (v.type() == TypeId::kBigint && v.int_value() != INT64_MIN) {
          v = Value(static_cast<int64_t>(-v.int_value()));
        } else {
          folded = false;
        }
        if (folded) {
          if (operand->is_duration)
            operand->name =
                operand->name.rfind('-', 0) == 0 ? operand->name.substr(1) : "-" + operand->name;
          operand->loc = loc;
          return operand;
        }
      }
      auto e = std::make_unique<Expr>(Expr::Kind::kUnary, loc);
      e->unary_op = UnaryOp::kNeg;
      e->args.push_back(std::move(operand));
      return e;
    }
    if (Accept(Tok::kPlus)) return ParseUnary();
    return ParsePrimary();
  }

  // A number literal, negated when `negative` (the '-' before it was consumed): INT when it fits,
  // else BIGINT; DOUBLE with a fraction or exponent; "5 SECONDS" is a duration in milliseconds.
  ExprPtr ParseNumber(bool negative = false) {
    const Token& t = Next();
    auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, t.loc);
    e->length = t.length() + (negative ? 1 : 0);
    std::string_view text = t.text;
    char suffix = 0;
    if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.back())) &&
        text.back() != 'e' && text.back() != 'E') {
      suffix = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
      text.remove_suffix(1);
    }
    std::string digits = (negative ? "-" : "") + std::string(text);
    std::string written = (negative ? "-" : "") + std::string(t.text);
    if (t.kind == Tok::kInteger && suffix != 'f' && suffix != 'd') {
      int64_t v;
      if (ParseInt64Checked(digits, &v) != NumberParse::kOk)
        ErrorAt(t, "integer literal " + written + " is out of range for BIGINT",
                "write " + written + ".0 for a DOUBLE");
      if (suffix == 'l' || v > INT32_MAX || v < INT32_MIN) {
        e->literal = Value(v);
      } else {
        e->literal = Value(static_cast<int32_t>(v));
      }
    } else {
      double d = 0;
      NumberParse r = ParseDoubleChecked(digits, &d);
      if (r == NumberParse::kOutOfRange)
        ErrorAt(t, "number literal " + written + " is out of range for DOUBLE");
      if (r != NumberParse::kOk) ErrorAt(t, "malformed number '" + written + "'");
      e->literal = suffix == 'f' ? Value::Float(static_cast<float>(d)) : Value(d);
    }
    // "5 SECONDS": a duration, in milliseconds.
    if (Cur().kind == Tok::kWord) {
      int64_t unit = DurationUnitMillis(Cur().text);
      if (unit > 0) {
        const Token& u = Next();
        e->length =
            static_cast<int>(u.text.data() + u.text.size() - t.text.data()) + (negative ? 1 : 0);
        std::string as_written = written + " " + std::string(u.text);
        double ms = e->literal.AsDouble() * static_cast<double>(unit);
        // The milliseconds must fit in BIGINT (doubles above 2^63 do not convert).
        if (!(std::fabs(ms) < 9.2e18))
          ErrorAt(t, "duration " + as_written +
                         " is out of range: its milliseconds do not fit in BIGINT");
        e->literal = Value(static_cast<int64_t>(std::llround(ms)));
        e->is_duration = true;
        e->name = as_written;  // as written, for messages
      }
    }
    return e;
  }

  // INTERVAL '10' MINUTE, INTERVAL '1:30' MINUTE TO SECOND (the standard's, Flink SQL's): a
  // duration, as "10 MINUTES" is.
  ExprPtr ParseInterval() {
    const Token& kw = Next();
    const Token& amount = Next();
    std::string text = amount.kind == Tok::kString ? amount.value : std::string(amount.text);
    auto unit_of = [&](const Token& u) {
      return u.kind == Tok::kWord ? DurationUnitMillis(u.text) : 0;
    };
    const Token* last = &amount;
    int64_t from = unit_of(Cur()), to = from;
    if (from == 0) {
      ErrorAt(Cur(), "expected a unit after INTERVAL '" + text + "', found " + Describe(Cur()),
              "e.g. INTERVAL '" + text + "' MINUTE (SECOND, MINUTE, HOUR, DAY)");
    } else {
      last = &Next();
      if (AtWord("TO")) {
        Next();
        to = unit_of(Cur());
        if (to == 0) {
          ErrorAt(Cur(), "expected the last unit after TO, found " + Describe(Cur()),
                  "e.g. INTERVAL '1:30' MINUTE TO SECOND");
        } else {
          last = &Next();
        }
      }
    }
    auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, kw.loc);
    e->length = static_cast<int>(last->text.data() + last->text.size() - kw.text.data());
    e->name = std::string(kw.text.data(), static_cast<size_t>(e->length));
    e->is_duration = true;
    int64_t ms = 0;
    std::string problem;
    if (from > 0 && to > 0 && !IntervalMillis(text, from, to, &ms, &problem))
      ErrorAt(amount, "interval " + e->name + ": " + problem);
    e->literal = Value(ms);
    return e;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Cur();
    switch (t.kind) {
      case Tok::kInteger:
      case Tok::kNumber:
        return ParseNumber();
      case Tok::kString:
      case Tok::kDqString: {
        auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, t.loc);
        e->length = t.length();
        e->literal = Value(t.value);
        Next();
        return e;
      }
      case Tok::kLParen: {
        Next();
        ExprPtr e = ParseExpr();
        Expect(Tok::kRParen, "to close the parenthesis");
        return e;
      }
      case Tok::kQuotedIdent:
      case Tok::kWord:
        break;
      case Tok::kStar: {
        auto e = MakeStar(t.loc);
        Next();
        return e;
      }
      default:
        ErrorAt(t, "expected an expression, found " + Describe(t));
    }
    if (t.kind == Tok::kWord) {
      if (t.Is("NULL") || t.Is("TRUE") || t.Is("FALSE")) {
        auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, t.loc);
        e->length = t.length();
        if (!t.Is("NULL")) e->literal = Value(t.Is("TRUE"));
        Next();
        return e;
      }
      if (t.Is("CASE")) return ParseCase();
      if (t.Is("INTERVAL") && (PeekTok().kind == Tok::kString || PeekTok().kind == Tok::kInteger ||
                               PeekTok().kind == Tok::kNumber))
        return ParseInterval();
      if ((t.Is("CAST") || t.Is("TRY_CAST")) && PeekTok().kind == Tok::kLParen) return ParseCast();
      if ((t.Is("TIMESTAMP") || t.Is("DATE")) && PeekTok().kind == Tok::kString)
        return ParseTimeLiteral();
      if (IsReservedWord(t) && PeekTok().kind != Tok::kLParen)
        ErrorAt(t, "expected an expression, found the keyword " + Describe(t));
    }
    std::string name = t.kind == Tok::kQuotedIdent ? t.value : std::string(t.text);
    Loc loc = t.loc;
    Next();
    if (At(Tok::kLParen)) return ParseCall(name, loc, t.length());
    auto e = std::make_unique<Expr>(Expr::Kind::kColumn, loc);
    e->length = static_cast<int>(name.size());
    if (At(Tok::kLBracket)) {  // pattern index: e1[0].price, e1[last].price
      Next();
      if (AcceptWord("LAST")) {
        e->index_last = true;
        e->index = 0;
        if (Accept(Tok::kMinus)) {
          const Token& n = Cur();
          Expect(Tok::kInteger, "after last-");
          e->index = std::atoi(std::string(n.text).c_str());
        }
      } else {
        const Token& n = Cur();
        Expect(Tok::kInteger, "as the event index (or 'last')");
        e->index = std::atoi(std::string(n.text).c_str());
      }
      Expect(Tok::kRBracket, "to close the event index");
      if (!At(Tok::kDot)) ErrorAt(Cur(), "expected '.attribute' after the event index");
    }
    if (Accept(Tok::kDot)) {
      e->qualifier = std::move(name);
      if (At(Tok::kStar)) {
        auto s = MakeStar(loc);
        s->qualifier = e->qualifier;
        Next();
        return s;
      }
      const Token& n = Cur();
      e->name = ExpectAnyName("an attribute name after '.'");
      e->length = static_cast<int>(n.text.data() + n.text.size() - t.text.data());
      return e;
    }
    if (e->index) ErrorAt(Cur(), "expected '.attribute' after the event index");
    e->name = std::move(name);
    return e;
  }

  ExprPtr ParseCall(const std::string& name, Loc loc, int name_len) {
    auto e = std::make_unique<Expr>(Expr::Kind::kFunction, loc);
    e->name = name;
    e->length = name_len;
    Expect(Tok::kLParen, "");
    if (!At(Tok::kRParen)) {
      if (AcceptWord("DISTINCT")) e->distinct = true;
      do e->args.push_back(ParseExpr());
      while (Accept(Tok::kComma));
    }
    Expect(Tok::kRParen, "to close the argument list");
    return e;
  }

  ExprPtr ParseCase() {
    auto e = std::make_unique<Expr>(Expr::Kind::kCase, Cur().loc);
    e->length = 4;
    Next();
    if (!AtWord("WHEN")) {
      e->has_operand = true;
      e->args.push_back(ParseExpr());
    }
    if (!AtWord("WHEN")) ErrorAt(Cur(), "expected WHEN in CASE, found " + Describe(Cur()));
    while (AcceptWord("WHEN")) {
      e->args.push_back(ParseExpr());
      ExpectWord("THEN", "after the WHEN condition");
      e->args.push_back(ParseExpr());
    }
    if (AcceptWord("ELSE")) {
      e->has_else = true;
      e->args.push_back(ParseExpr());
    }
    ExpectWord("END", "to close CASE");
    return e;
  }

  // TIMESTAMP '2026-01-01 10:00:00[.123][+02:00]' and DATE '2026-01-01' (midnight UTC: there is
  // no DATE type), as SQL writes them.
  ExprPtr ParseTimeLiteral() {
    const Token& kw = Cur();
    bool date = kw.Is("DATE");
    auto e = std::make_unique<Expr>(Expr::Kind::kLiteral, kw.loc);
    Next();
    const Token& text = Cur();
    e->length = text.loc.col + text.length() - kw.loc.col;
    std::string s = text.value;
    if (!date && s.size() > 10 && s[10] == ' ') s[10] = 'T';  // SQL's space, ISO-8601's T
    int64_t ms = 0;
    bool ok = date ? s.size() == 10 && ParseIso8601(s, &ms) : ParseIso8601(s, &ms);
    if (!ok)
      diags_->Error(
          text.loc,
          std::string(date ? "DATE" : "TIMESTAMP") + " '" + text.value + "' is not a " +
              (date ? "date (YYYY-MM-DD)" : "time (YYYY-MM-DD HH:MM:SS[.fff][+HH:MM], or a date)"),
          "", text.length());
    e->literal = Value::Timestamp(ms);
    Next();
    return e;
  }

  ExprPtr ParseCast() {
    auto e = std::make_unique<Expr>(Expr::Kind::kCast, Cur().loc);
    e->try_cast = Cur().Is("TRY_CAST");
    e->length = e->try_cast ? 8 : 4;
    Next();
    Expect(Tok::kLParen, e->try_cast ? "after TRY_CAST" : "after CAST");
    e->args.push_back(ParseExpr());
    ExpectWord("AS", "in CAST(x AS TYPE)");
    e->cast_type = ParseType();
    Expect(Tok::kRParen, "to close CAST");
    return e;
  }

  std::string_view src_;
  Diagnostics* diags_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  bool in_sequence_ = false;
  int depth_ = 0;  // levels of nesting at the current position (see kMaxNesting)
};

}  // namespace

AppAst Parse(std::string_view source, Diagnostics* diags) {
  AppAst ast = Parser(source, diags).ParseApp();
  AttachMetricComments(source, &ast, diags);
  return ast;
}

ExprPtr ParseExpression(std::string_view source, Diagnostics* diags) {
  return Parser(source, diags).ParseStandaloneExpression();
}

}  // namespace sluice::sql
