#include "runtime/statements.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "sql/diagnostics.h"
#include "sql/parser.h"

namespace sluice::runtime {

namespace {

constexpr char kFile[] = "<statement>";
// The stream a pull query's rows go to, in the app it runs in.
constexpr char kPullResult[] = "sluice_pull_result";
// The most rows a pull query answers.
constexpr size_t kPullRowsMax = 100000;

// The byte offset of line `line`, column `col` (both from 1, columns in characters).
size_t ByteOffset(std::string_view text, int line, int col) {
  size_t i = 0;
  for (int l = 1; l < line && i < text.size(); ++i)
    if (text[i] == '\n') ++l;
  for (int c = 1; c < col && i < text.size(); ++c) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// A name as the dialect quotes it: `name`, a backtick doubled.
std::string Quoted(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  return out + "`";
}

struct Word {
  std::string text;
  size_t offset = 0;
};

std::vector<Word> Words(std::string_view text) {
  std::vector<Word> words;
  for (size_t i = 0; i < text.size();) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    words.push_back({std::string(text.substr(start, i - start)), start});
  }
  return words;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

sql::Loc LocOf(std::string_view text, size_t offset) {
  sql::Loc loc{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.col = 1;
    } else {
      ++loc.col;
    }
  }
  return loc;
}

Status Failed(std::string_view text, const sql::Diagnostics& d) {
  int n = d.error_count();
  return Status::InvalidArgument(d.Format(text, kFile, /*include_warnings=*/false) +
                                 std::to_string(n) + (n == 1 ? " error" : " errors"));
}

Status ErrorAt(std::string_view text, size_t offset, size_t length, const std::string& message,
               const std::string& suggestion = "") {
  sql::Diagnostics d;
  d.Error(LocOf(text, offset), message, suggestion, static_cast<int>(std::max<size_t>(length, 1)));
  return Failed(text, d);
}

// The rows of a SHOW or DESCRIBE.
class Rows {
 public:
  Rows(std::initializer_list<std::pair<const char*, DataType>> columns) {
    for (const auto& [name, type] : columns) result_.schema.Add(name, type);
    result_.rows = Batch(result_.schema);
  }
  void Add(std::initializer_list<Value> values) {
    size_t row = result_.rows.AddRow(0);
    size_t col = 0;
    for (const Value& v : values) result_.rows.SetValue(row, col++, v);
  }
  StatementResult Done() { return std::move(result_); }

 private:
  StatementResult result_;
};

Value Count(uint64_t n) { return Value(static_cast<int64_t>(n)); }

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> Names(const AppInfo& info, bool tables, bool queries) {
  std::vector<std::string> names;
  if (queries) {
    for (const QueryInfo& q : info.queries) {
      names.push_back(q.id);
      if (q.name != q.id) names.push_back(q.name);
    }
    return names;
  }
  for (const StreamInfo& s : info.streams)
    if ((s.kind == "table") == tables || !tables) names.push_back(s.name);
  return names;
}

Result<StatementResult> Show(const StatementContext& ctx, std::string_view text,
                             const std::vector<Word>& w) {
  if (w.size() != 2)
    return ErrorAt(text, w[0].offset, w[0].text.size(),
                   "SHOW takes one of STREAMS, TABLES, QUERIES, SOURCES, SINKS");
  std::string what = Upper(w[1].text);
  AppInfo info = ctx.app->Describe();
  AppStats stats = ctx.app->Stats();
  if (what == "STREAMS") {
    Rows rows({{"name", DataType::String()},
               {"kind", DataType::String()},
               {"columns", DataType::String()},
               {"connector", DataType::String()},
               {"events", DataType::Bigint()},
               {"malformed", DataType::Bigint()}});
    for (const StreamInfo& s : info.streams) {
      if (s.kind == "table") continue;
      const StreamStats* st = nullptr;
      for (const StreamStats& x : stats.streams)
        if (x.name == s.name) st = &x;
      rows.Add({s.name, std::string(s.async ? "async " : "") + s.kind, s.schema.ToString(),
                s.connector.connector.empty()
                    ? Value()
                    : Value(s.connector.role + " " + s.connector.connector),
                Count(st ? st->events : 0), Count(st ? st->malformed : 0)});
    }
    return rows.Done();
  }
  if (what == "TABLES") {
    Rows rows({{"name", DataType::String()},
               {"key", DataType::String()},
               {"columns", DataType::String()},
               {"connector", DataType::String()},
               {"rows", DataType::Bigint()}});
    for (const StreamInfo& s : info.streams) {
      if (s.kind != "table") continue;
      bool in_store = s.connector.role == "store";
      rows.Add({s.name, Joined(s.primary_key), s.schema.ToString(),
                s.connector.connector.empty()
                    ? Value()
                    : Value(s.connector.role + " " + s.connector.connector),
                in_store ? Value() : Count(ctx.table_rows(s.name))});
    }
    return rows.Done();
  }
  if (what == "QUERIES") {
    Rows rows({{"id", DataType::String()},
               {"name", DataType::String()},
               {"inputs", DataType::String()},
               {"target", DataType::String()},
               {"events_in", DataType::Bigint()},
               {"rows_out", DataType::Bigint()},
               {"state_keys", DataType::Bigint()},
               {"health", DataType::Int()}});
    for (const QueryInfo& q : info.queries) {
      QueryStats none;
      const QueryStats* st = &none;
      for (const QueryStats& x : stats.queries)
        if (x.id == q.id) st = &x;
      rows.Add({q.id, q.name, Joined(q.inputs), q.target, Count(st->events_in), Count(st->rows_out),
                Count(st->state_keys), Value(int32_t{st->health})});
    }
    return rows.Done();
  }
  if (what == "SOURCES") {
    Rows rows({{"stream", DataType::String()},
               {"connector", DataType::String()},
               {"where", DataType::String()},
               {"records", DataType::Bigint()},
               {"finished", DataType::Bool()}});
    for (const SourceStats& s : stats.sources)
      rows.Add({s.stream, s.connector, s.where, Count(s.records), Value(s.finished)});
    return rows.Done();
  }
  if (what == "SINKS") {
    Rows rows({{"stream", DataType::String()},
               {"connector", DataType::String()},
               {"where", DataType::String()},
               {"written", DataType::Bigint()},
               {"failed", DataType::Bigint()},
               {"breaker", DataType::String()}});
    for (const SinkStats& s : stats.sinks)
      rows.Add({s.stream, s.connector, s.where, Count(s.written), Count(s.failed),
                s.breaker.empty() ? Value() : Value(s.breaker)});
    return rows.Done();
  }
  return ErrorAt(text, w[1].offset, w[1].text.size(),
                 "SHOW takes STREAMS, TABLES, QUERIES, "
                 "SOURCES or SINKS, not '" +
                     w[1].text + "'",
                 sql::DidYouMean(what, {"STREAMS", "TABLES", "QUERIES", "SOURCES", "SINKS"}));
}

Result<StatementResult> Describe(const StatementContext& ctx, std::string_view text,
                                 const std::vector<Word>& w) {
  if (w.size() != 2)
    return ErrorAt(text, w[0].offset, w[0].text.size(), "DESCRIBE takes one stream or table name");
  AppInfo info = ctx.app->Describe();
  for (const StreamInfo& s : info.streams) {
    if (s.name != w[1].text) continue;
    Rows rows({{"column", DataType::String()},
               {"type", DataType::String()},
               {"key", DataType::Bool()},
               {"event_time", DataType::Bool()}});
    for (const Field& f : s.schema.fields())
      rows.Add({f.name, f.type.ToString(),
                Value(std::find(s.primary_key.begin(), s.primary_key.end(), f.name) !=
                      s.primary_key.end()),
                Value(f.name == s.event_time_field)});
    StatementResult r = rows.Done();
    r.text = s.kind + " " + s.name + (s.defined_at.empty() ? "" : " (" + s.defined_at + ")");
    if (!s.connector.connector.empty())
      r.text +=
          ", " + s.connector.role + " " + s.connector.connector + " (" + s.connector.format + ")";
    if (s.async) r.text += ", @Async with " + std::to_string(s.workers) + " worker(s)";
    if (!s.fault_stream.empty()) r.text += ", faults to " + s.fault_stream;
    return r;
  }
  return ErrorAt(text, w[1].offset, w[1].text.size(), "no stream or table '" + w[1].text + "'",
                 sql::DidYouMean(w[1].text, Names(info, false, false)));
}

Result<StatementResult> Explain(const StatementContext& ctx, std::string_view text,
                                const std::vector<Word>& w) {
  bool analyze = w.size() == 3 && Upper(w[1].text) == "ANALYZE";
  if (w.size() == 2 && Upper(w[1].text) == "ANALYZE")
    return ErrorAt(text, w[1].offset, w[1].text.size(),
                   "EXPLAIN ANALYZE takes a query's id or name");
  if (w.size() != 2 && !analyze)
    return ErrorAt(text, w[0].offset, w[0].text.size(),
                   "EXPLAIN takes a query's id or name: EXPLAIN [ANALYZE] <query>");
  const Word& name = w.back();
  AppInfo info = ctx.app->Describe();
  const QueryInfo* q = nullptr;
  for (const QueryInfo& x : info.queries)
    if (x.id == name.text || x.name == name.text) q = &x;
  const plan::QueryPlan* qp = nullptr;
  if (q)
    for (const plan::QueryPlan& x : ctx.plan->queries)
      if (x.id == q->id) qp = &x;
  if (!q || !qp)
    return ErrorAt(text, name.offset, name.text.size(), "no query '" + name.text + "'",
                   sql::DidYouMean(name.text, Names(info, false, true)));
  StatementResult r;
  r.text = qp->Explain();
  r.text += "  Pipeline";
  for (size_t i = 0; i < q->operators.size(); ++i) {
    const OperatorInfo& op = q->operators[i];
    r.text += (i ? " -> " : " ") + op.id + (op.physical.empty() ? "" : " [" + op.physical + "]");
  }
  if (q->instances > 1)
    r.text += " (" + std::to_string(q->instances) + " instances, one per worker)";
  r.text += "\n";
  if (!analyze) return r;
  QueryStats st;
  for (const QueryStats& x : ctx.app->Stats().queries)
    if (x.id == q->id) st = x;
  char latency[96];
  std::snprintf(latency, sizeof latency, "%.1f / %.1f / %.1f us", st.p50_us, st.p95_us, st.p99_us);
  r.text += "  Events in " + std::to_string(st.events_in) + ": taken " +
            std::to_string(st.events_out) + ", filtered " + std::to_string(st.filtered) +
            ", faulted " + std::to_string(st.faulted) + ", dropped " + std::to_string(st.dropped) +
            " (late " + std::to_string(st.late) + ")\n";
  r.text +=
      "  Rows out " + std::to_string(st.rows_out) + ", errors " + std::to_string(st.errors) + "\n";
  // Stateless queries do not time their batches (a clock read per batch would be most of it).
  if (st.stateful) r.text += "  Batch latency p50 / p95 / p99 " + std::string(latency) + "\n";
  if (st.stateful)
    r.text += "  State " + std::to_string(st.state_keys) + " keys, about " +
              std::to_string(st.state_bytes) + " bytes\n";
  r.text += "  Health " + std::to_string(st.health) + "\n";
  return r;
}

// Line and column of a diagnostic of the app a pull query runs in, moved onto the statement:
// the app's first two lines are the table's definition and the INSERT INTO.
constexpr int kPullPrefixLines = 2;

// The key values WHERE gives, as `key_col = literal` conjuncts, in key order; empty when it does
// not give the whole key.
std::vector<Value> KeyOf(const sql::Expr* where, const plan::StreamDef& table,
                         const std::string& alias) {
  if (!where || table.primary_key.empty()) return {};
  std::vector<const sql::Expr*> conjuncts;
  if (where->kind == sql::Expr::Kind::kBinary && where->binary_op == sql::BinaryOp::kAnd) {
    for (const auto& a : where->args) conjuncts.push_back(a.get());
  } else {
    conjuncts.push_back(where);
  }
  std::vector<Value> key(table.primary_key.size());
  std::vector<bool> found(table.primary_key.size(), false);
  for (const sql::Expr* c : conjuncts) {
    if (c->kind != sql::Expr::Kind::kBinary || c->binary_op != sql::BinaryOp::kEq ||
        c->args.size() != 2)
      continue;
    const sql::Expr* col = c->args[0].get();
    const sql::Expr* lit = c->args[1].get();
    if (col->kind != sql::Expr::Kind::kColumn) std::swap(col, lit);
    if (col->kind != sql::Expr::Kind::kColumn || lit->kind != sql::Expr::Kind::kLiteral ||
        lit->is_duration || lit->literal.is_null())
      continue;
    if (!col->qualifier.empty() && col->qualifier != table.name && col->qualifier != alias)
      continue;
    for (size_t k = 0; k < table.primary_key.size(); ++k) {
      if (table.schema.field(static_cast<size_t>(table.primary_key[k])).name != col->name) continue;
      key[k] = lit->literal;
      found[k] = true;
    }
  }
  for (bool f : found)
    if (!f) return {};
  return key;
}

Result<StatementResult> Pull(const StatementContext& ctx, std::string_view text) {
  sql::Diagnostics d;
  sql::AppAst ast = sql::Parse(text, &d);
  if (d.has_errors()) return Failed(text, d);
  if (ast.statements.size() != 1 || !ast.settings.empty() || !ast.app_annotations.empty())
    return ErrorAt(text, 0, 1, "one statement at a time");
  const sql::Statement& st = ast.statements[0];
  if (st.kind != sql::Statement::Kind::kQuery || !st.query)
    return ErrorAt(text, 0, 6, "expected SELECT ... FROM <table>");
  const sql::Query& q = *st.query;
  auto refuse = [&](sql::Loc loc, const std::string& why) {
    sql::Diagnostics e;
    e.Error(loc, why);
    return Failed(text, e);
  };
  if (q.output)
    return refuse(q.loc,
                  "a pull query returns its rows: it has no INSERT INTO (a continuous "
                  "query belongs in the app)");
  if (q.from.kind != sql::FromClause::Kind::kStream)
    return refuse(q.from.loc, "a pull query reads one table: no join or pattern");
  const sql::StreamRef& from = q.from.stream;
  const plan::StreamDef* table = ctx.plan->catalog.Find(from.name);
  if (!table || !table->is_table) {
    std::vector<std::string> tables;
    for (const auto& def : ctx.plan->catalog.all())
      if (def->is_table) tables.push_back(def->name);
    sql::Diagnostics e;
    e.Error(from.loc,
            table ? "'" + from.name +
                        "' is a stream: a pull query reads a table (tail a stream at "
                        "/api/streams/" +
                        from.name + "/events)"
                  : "no table '" + from.name + "'",
            table ? "" : sql::DidYouMean(from.name, tables), static_cast<int>(from.name.size()));
    return Failed(text, e);
  }
  if (table->connector && table->connector->backs_table)
    return refuse(from.loc, "table '" + table->name + "' lives in " + table->connector->connector +
                                ": query it there");
  if (from.window || !q.group_by.empty() || q.having || !q.order_by.empty() || q.offset || q.rate ||
      q.emit != sql::EmitMode::kDefault)
    return refuse(q.loc,
                  "a pull query selects rows of a table: SELECT, WHERE and LIMIT (no window, "
                  "GROUP BY, HAVING, ORDER BY, OFFSET or output rate)");
  // LIMIT is applied here, to the rows the query gives: cut out of the text the query runs.
  std::string body(text);
  int64_t limit = -1;
  if (q.limit) {
    const sql::Expr& l = *q.limit;
    bool count = l.kind == sql::Expr::Kind::kLiteral && !l.is_duration &&
                 (l.literal.type() == TypeId::kInt || l.literal.type() == TypeId::kBigint) &&
                 l.literal.int_value() >= 0;
    if (!count) return refuse(l.loc, "LIMIT takes a count");
    limit = l.literal.int_value();
    // Columns count characters, not bytes (the lexer steps over UTF-8 continuation bytes).
    size_t end = ByteOffset(body, l.loc.line, l.loc.col + l.length);
    std::string upper = Upper(body.substr(0, end));
    size_t start = upper.rfind("LIMIT");
    if (start == std::string::npos) return refuse(l.loc, "LIMIT takes a count");
    for (size_t i = start; i < end && i < body.size(); ++i)
      if (body[i] != '\n') body[i] = ' ';
  }
  // The app the query runs in: the table as a stream, and the query into a stream of results.
  std::string app = "CREATE STREAM " + Quoted(table->name) + " (";
  for (size_t i = 0; i < table->schema.size(); ++i)
    app += (i ? ", " : "") + Quoted(table->schema.field(i).name) + " " +
           table->schema.field(i).type.ToString();
  app += ");\nINSERT INTO " + std::string(kPullResult) + "\n" + body + ";\n";
  {
    sql::Diagnostics md;
    sql::AppAst mast = sql::Parse(app, &md);
    std::unique_ptr<plan::AppPlan> mplan;
    if (!md.has_errors()) mplan = plan::BindApp(mast, app, &md);
    if (md.has_errors()) {
      sql::Diagnostics moved;
      for (const sql::Diagnostic& x : md.all()) {
        if (x.severity != sql::Diagnostic::Severity::kError) continue;
        sql::Loc loc = x.loc;
        loc.line -= kPullPrefixLines;
        if (loc.line < 1) loc = {1, 1};
        // The result stream is the statement's own business: the message says "the result".
        std::string message = x.message;
        for (size_t at;
             (at = message.find(std::string("'") + kPullResult + "'")) != std::string::npos;)
          message.replace(at, std::strlen(kPullResult) + 2, "the result");
        moved.Error(loc, message, x.suggestion, x.length);
      }
      return Failed(text, moved);
    }
    const plan::QueryPlan& mq = mplan->queries.at(0);
    if (!mq.aggregates.empty() || mq.window)
      return refuse(q.loc,
                    "a pull query selects rows of a table: keep its aggregates up to date with a "
                    "continuous query (CREATE TABLE ... AS SELECT ... GROUP BY) and read that");
  }
  AppOptions options;
  options.playback = true;
  options.file_name = kFile;
  StatementResult result;  // before the runner, whose callback writes it, is gone
  ASSIGN_OR_RETURN(std::unique_ptr<AppRuntime> runner, AppRuntime::Load(app, options));
  const Schema* out_schema = runner->GetSchema(kPullResult);
  if (!out_schema) return Status::Internal("a pull query without its result stream");
  size_t most =
      limit >= 0 ? std::min<size_t>(static_cast<size_t>(limit), kPullRowsMax) : kPullRowsMax;
  bool cut = false;
  result.schema = *out_schema;
  result.rows = Batch(result.schema);
  RETURN_IF_ERROR(runner->AddCallback(kPullResult, [&](const OutputBatch& out) {
    for (size_t r = 0; r < out.batch->num_rows(); ++r) {
      if (result.rows.num_rows() >= most) {
        cut = limit < 0 || static_cast<size_t>(limit) > kPullRowsMax;
        return;
      }
      size_t row = result.rows.AddRow(out.batch->timestamp(r));
      result.rows.CopyRowInto(*out.batch, r, row, 0);
    }
  }));
  RETURN_IF_ERROR(runner->Start());
  std::vector<Value> key = KeyOf(q.where.get(), *table, from.alias);
  // Without WHERE, LIMIT n needs n rows of the table, not all of them.
  size_t read = !q.where && limit >= 0 ? static_cast<size_t>(limit) : SIZE_MAX;
  Result<Batch> rows = ctx.app->ReadTable(table->name, key, read);
  // A key that does not convert to its column's type matches no row.
  if (!rows.ok() && !key.empty()) rows = Batch(table->schema);
  if (!rows.ok()) return rows.status();
  Status sent =
      rows->num_rows() ? runner->GetInputHandler(table->name)->SendBatch(*rows) : Status::OK();
  runner->FinishInput();
  runner->Shutdown();
  RETURN_IF_ERROR(sent);
  if (cut)
    result.text =
        "(the first " + std::to_string(kPullRowsMax) + " rows: add a LIMIT or a narrower WHERE)\n";
  return result;
}

}  // namespace

Result<StatementResult> ExecuteStatement(const StatementContext& ctx, std::string_view text) {
  // The statement without its trailing ';' and spaces.
  while (!text.empty() &&
         (std::isspace(static_cast<unsigned char>(text.back())) || text.back() == ';'))
    text.remove_suffix(1);
  std::vector<Word> w = Words(text);
  if (w.empty())
    return Status::InvalidArgument(
        "an empty statement: SHOW, DESCRIBE, EXPLAIN [ANALYZE] or SELECT ... FROM <table>");
  // The first keyword: its letters (SELECT*FROM ...).
  std::string first;
  for (char c : w[0].text) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    first.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (first == "SELECT") return Pull(ctx, text);  // the SQL parser reads it, comments and all
  // The others are words, without `-- comments` (blanked, so that offsets stay) and with names'
  // backticks taken off.
  std::string plain(text);
  bool quoted = false;
  for (size_t i = 0; i < plain.size(); ++i) {
    if (plain[i] == '`') quoted = !quoted;
    if (quoted || plain[i] != '-' || i + 1 >= plain.size() || plain[i + 1] != '-') continue;
    while (i < plain.size() && plain[i] != '\n') plain[i++] = ' ';
  }
  w = Words(plain);
  for (Word& word : w)
    if (word.text.size() >= 2 && word.text.front() == '`' && word.text.back() == '`')
      word.text = word.text.substr(1, word.text.size() - 2);
  if (w.empty()) return Status::InvalidArgument("an empty statement (only a comment)");
  if (first == "SHOW") return Show(ctx, text, w);
  if (first == "DESCRIBE" || first == "DESC") return Describe(ctx, text, w);
  if (first == "EXPLAIN") return Explain(ctx, text, w);
  return ErrorAt(text, w[0].offset, w[0].text.size(),
                 "expected SHOW, DESCRIBE, EXPLAIN or SELECT, found '" + w[0].text + "'",
                 sql::DidYouMean(first, {"SHOW", "DESCRIBE", "EXPLAIN", "SELECT"}));
}

}  // namespace sluice::runtime
