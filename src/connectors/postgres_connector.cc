// The PostgreSQL sink: each batch of the sink runtime is one statement (a transaction of its
// own): an append sink inserts every row; an upsert sink ('key' names the table's primary key)
// keeps each key's last row of the batch and writes them with INSERT ... ON CONFLICT DO UPDATE,
// deleting the keys whose last row is a delete in the same statement.
// The PostgreSQL source (a stream's events, or a table's rows: runtime/table_loader.h): the rows
// of 'table' or of 'query', read once (the load), then, with 'poll.column', the rows whose
// column went past the largest value read so far, every 'poll.interval'. Rows that change
// without moving the column, and deletes, are not seen: poll a column that every write moves (a
// sequence, or an updated_at set by the writes). libpq stays in this file.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "common/convert.h"
#include "common/log.h"
#include "common/row_key.h"
#include "common/url.h"
#include "connectors/csv_codec.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "connectors/sink_runtime.h"
#include "exec/event_time.h"
#include "exec/table_cache.h"

namespace sluice::connectors {

namespace {

// PostgreSQL takes at most 65535 parameters in one statement.
constexpr size_t kMaxParams = 65535;
constexpr uint32_t kNull = 0xFFFFFFFF;

struct PgTarget {
  std::string url;                   // as the user wrote it: libpq reads postgresql:// URIs itself
  std::string where;                 // without a password
  std::vector<std::string> table;    // schema and name, or the name
  std::vector<std::string> columns;  // the stream's attributes, in order
  std::vector<int> key;              // the columns of the upsert key; empty: append
  int64_t connect_timeout_ms = 5000;
  // A source's: what it reads ('query', else 'table'), the column it polls by (empty: it reads
  // once), how often.
  std::string query;
  std::string poll_column;
  int64_t poll_interval_ms = 1000;
};

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// A failed statement: retried when the server or the connection may recover (connection errors,
// serialization failures, too many connections, a server shutting down), refused otherwise.
Status StatementError(PGconn* c, const PGresult* r, const std::string& what) {
  std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string cls = state ? std::string(state, 2) : "";
  bool transient = PQstatus(c) != CONNECTION_OK || !state || cls == "08" || cls == "40" ||
                   cls == "53" || cls == "57";
  std::string text =
      what + ": " + message + (state ? " (SQLSTATE " + std::string(state) + ")" : "");
  return transient ? Status::IoError(text) : Status::InvalidArgument(text);
}

Result<PgConnPtr> ConnectTo(const PgTarget& t) {
  std::string timeout = std::to_string(std::max<int64_t>(1, t.connect_timeout_ms / 1000));
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {t.url.c_str(), timeout.c_str(), "sluice", nullptr};
  PgConnPtr c(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    std::string message = c ? PQerrorMessage(c.get()) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::IoError("cannot connect to " + t.where + ": " + message);
  }
  return c;
}

std::string QuotedIdentifier(PGconn* c, const std::string& name) {
  char* quoted = PQescapeIdentifier(c, name.data(), name.size());
  std::string s = quoted ? quoted : "\"" + name + "\"";
  PQfreemem(quoted);
  return s;
}

// The target's table as SQL: "schema"."name".
std::string QuotedTable(PGconn* c, const PgTarget& t) {
  std::string s;
  for (size_t i = 0; i < t.table.size(); ++i) s += (i ? "." : "") + QuotedIdentifier(c, t.table[i]);
  return s;
}

std::string TableName(const PgTarget& t) {
  std::string s;
  for (size_t i = 0; i < t.table.size(); ++i) s += (i ? "." : "") + t.table[i];
  return s;
}

constexpr Oid kBoolOid = 16, kDateOid = 1082, kTimestampOid = 1114, kTimestampTzOid = 1184;

// "SELECT <the attributes>" read from `from` (aliased `src`), by name, in attribute order:
// booleans as 'true'/'false', timestamps and dates as epoch milliseconds (what the columns of
// the stream take from text). A LIMIT 0 query learns the types; its error says `what`.
Result<std::string> SelectList(PGconn* c, const PgTarget& t, const std::string& from,
                               const std::string& what) {
  std::string names;
  for (size_t i = 0; i < t.columns.size(); ++i)
    names += (i ? ", src." : "src.") + QuotedIdentifier(c, t.columns[i]);
  std::string probe = "SELECT " + names + " FROM " + from + " LIMIT 0";
  PgResultPtr r(PQexec(c, probe.c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
    return Status::InvalidArgument(StatementError(c, r.get(), what).message());
  std::string list;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    std::string name = "src." + QuotedIdentifier(c, t.columns[i]);
    Oid type = PQftype(r.get(), static_cast<int>(i));
    std::string expr = name;
    if (type == kBoolOid) expr = name + "::text";
    if (type == kDateOid || type == kTimestampOid || type == kTimestampTzOid)
      expr = "(EXTRACT(EPOCH FROM " + name + ") * 1000)::bigint";
    list += (i ? ", " : "") + expr;
  }
  return "SELECT " + list;
}

// Tuple `tuple` of `r` (the attributes of `schema` in order, as SelectList reads them) into row
// `row` of `batch`; what is wrong with it, or empty. Adds the bytes of text read to *bytes.
std::string DecodeTuple(const PGresult* r, int tuple, const Schema& schema, Batch* batch,
                        size_t row, uint64_t* bytes) {
  for (size_t col = 0; col < schema.size(); ++col) {
    if (PQgetisnull(r, tuple, static_cast<int>(col))) continue;
    std::string_view v(PQgetvalue(r, tuple, static_cast<int>(col)),
                       static_cast<size_t>(PQgetlength(r, tuple, static_cast<int>(col))));
    *bytes += v.size();
    Value text{v};
    if (!batch->SetValue(row, col, text))
      return "'" + schema.field(col).name + "' is " + schema.field(col).type.ToString() +
             ", got '" + std::string(v) + "' (" + ConversionProblem(text, schema.field(col).type) +
             ")";
  }
  return "";
}

class PgConnection : public SinkConnection {
 public:
  PgConnection(PgConnPtr c, const PgTarget& t) : c_(std::move(c)), t_(t) {
    table_ = QuotedTable(c_.get(), t);
    for (const std::string& name : t.columns) columns_.push_back(Identifier(name));
  }

  // The table must have the stream's columns: checked once, so that a wrong table name or a
  // missing column fails the run at its start rather than at the first batch.
  Status CheckTable() {
    std::string sql = "SELECT " + Join(columns_) + " FROM " + table_ + " LIMIT 0";
    PgResultPtr r(PQexec(c_.get(), sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
      return StatementError(c_.get(), r.get(), "the table " + table_ + " cannot take the rows");
    return Status::OK();
  }

  Status Write(const SinkRecords& records, size_t begin, size_t end) override {
    upserts_.clear();
    deletes_.clear();
    if (t_.key.empty()) {
      for (size_t i = begin; i < end; ++i) upserts_.push_back(i);
    } else {
      // Each key's last record decides its row: earlier ones of the batch are replaced anyway,
      // and one INSERT ... ON CONFLICT may not touch a row twice.
      last_.clear();
      for (size_t i = begin; i < end; ++i) last_[records.key(i)] = i;
      for (size_t i = begin; i < end; ++i) {
        if (last_[records.key(i)] != i) continue;
        (records.kind(i) == ChangeKind::kDelete ? deletes_ : upserts_).push_back(i);
      }
    }
    size_t per_upsert = t_.columns.size(), per_delete = t_.key.size();
    size_t max_rows = kMaxParams / std::max<size_t>(per_upsert, 1);
    bool several = upserts_.size() + deletes_.size() > max_rows;
    if (several) RETURN_IF_ERROR(Exec("BEGIN"));
    Status st;
    for (size_t u = 0, d = 0; st.ok() && (u < upserts_.size() || d < deletes_.size());) {
      size_t nu = std::min(upserts_.size() - u, max_rows);
      size_t nd = std::min(deletes_.size() - d,
                           (kMaxParams - nu * per_upsert) / std::max<size_t>(per_delete, 1));
      st = Statement(records, u, nu, d, nd);
      u += nu;
      d += nd;
    }
    if (several) {
      if (!st.ok()) return st;  // the connection is dropped: the transaction goes with it
      RETURN_IF_ERROR(Exec("COMMIT"));
    }
    return st;
  }

 private:
  std::string Identifier(const std::string& name) { return QuotedIdentifier(c_.get(), name); }

  static std::string Join(const std::vector<std::string>& parts) {
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    return s;
  }

  Status Exec(const char* sql) {
    PgResultPtr r(PQexec(c_.get(), sql));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return StatementError(c_.get(), r.get(), sql);
    return Status::OK();
  }

  // Adds the fields of record `i` (all columns, or only the key's) as parameters.
  void Params(const SinkRecords& records, size_t i, bool key_only) {
    std::string_view fields = records.value(i);
    size_t k = 0;
    for (size_t c = 0; c < t_.columns.size(); ++c) {
      uint32_t n;
      std::memcpy(&n, fields.data(), sizeof n);
      fields.remove_prefix(sizeof n);
      const char* value = nullptr;
      int length = 0;
      if (n != kNull) {
        value = fields.data();
        length = static_cast<int>(n);
        fields.remove_prefix(n);
      }
      bool wanted = !key_only || (k < t_.key.size() && t_.key[k] == static_cast<int>(c));
      if (key_only && wanted) ++k;
      if (!wanted) continue;
      // Text parameters end at their length, but libpq reads text ones up to a NUL: copy.
      text_.emplace_back(value ? std::string(value, length) : std::string());
      values_.push_back(value ? text_.back().c_str() : nullptr);
    }
  }

  std::string Placeholders(size_t rows, size_t per_row, size_t* next) {
    std::string s;
    for (size_t r = 0; r < rows; ++r) {
      s += r ? ", (" : "(";
      for (size_t c = 0; c < per_row; ++c) s += (c ? ", $" : "$") + std::to_string((*next)++);
      s += ")";
    }
    return s;
  }

  // One statement: the upserts upserts_[u, u + nu) and the deletes deletes_[d, d + nd).
  Status Statement(const SinkRecords& records, size_t u, size_t nu, size_t d, size_t nd) {
    text_.clear();
    values_.clear();
    text_.reserve((nu * t_.columns.size()) + (nd * t_.key.size()));  // no reallocation: c_str()s
    std::string sql;
    size_t next = 1;
    std::vector<std::string> key_columns;
    for (int k : t_.key) key_columns.push_back(columns_[k]);
    if (nd > 0) {
      for (size_t i = d; i < d + nd; ++i) Params(records, deletes_[i], /*key_only=*/true);
      std::string del = "DELETE FROM " + table_ + " WHERE (" + Join(key_columns) + ") IN (" +
                        Placeholders(nd, t_.key.size(), &next) + ")";
      sql = nu > 0 ? "WITH deleted AS (" + del + ") " : del;
    }
    if (nu > 0) {
      for (size_t i = u; i < u + nu; ++i) Params(records, upserts_[i], /*key_only=*/false);
      sql += "INSERT INTO " + table_ + " (" + Join(columns_) + ") VALUES " +
             Placeholders(nu, t_.columns.size(), &next);
      if (!t_.key.empty()) {
        std::vector<std::string> set;
        for (size_t c = 0; c < columns_.size(); ++c)
          if (std::find(t_.key.begin(), t_.key.end(), static_cast<int>(c)) == t_.key.end())
            set.push_back(columns_[c] + " = EXCLUDED." + columns_[c]);
        sql += " ON CONFLICT (" + Join(key_columns) + ") DO " +
               (set.empty() ? std::string("NOTHING") : "UPDATE SET " + Join(set));
      }
    }
    PgResultPtr r(PQexecParams(c_.get(), sql.c_str(), static_cast<int>(values_.size()), nullptr,
                               values_.data(), nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return StatementError(c_.get(), r.get(), "writing into " + table_);
    return Status::OK();
  }

  PgConnPtr c_;
  const PgTarget& t_;
  std::string table_;
  std::vector<std::string> columns_;
  absl::flat_hash_map<std::string_view, size_t> last_;
  std::vector<size_t> upserts_, deletes_;
  std::vector<std::string> text_;
  std::vector<const char*> values_;
};

class PgStore : public SinkStore {
 public:
  PgStore(const plan::StreamDef& def, PgTarget target) : def_(def), t_(std::move(target)) {}

  void Encode(const Batch& batch, size_t row, SinkRecords* out) override {
    ChangeKind kind = batch.kind(row);
    // An upsert table holds each key's latest row: the row an update replaces needs nothing.
    if (!t_.key.empty() && kind == ChangeKind::kUpdateBefore) return;
    std::string* b = out->bytes();
    for (size_t k = 0; k < t_.key.size(); ++k) {
      if (k) b->push_back('\x1f');
      AppendFieldText(b, batch.column(t_.key[k]), row);
    }
    out->EndKey();
    for (size_t c = 0; c < def_.schema.size(); ++c) {
      const Column& col = batch.column(c);
      uint32_t n = kNull;
      size_t at = b->size();
      b->append(sizeof n, '\0');
      if (!col.IsNull(row)) {
        AppendFieldText(b, col, row);
        n = static_cast<uint32_t>(b->size() - at - sizeof n);
      }
      std::memcpy(b->data() + at, &n, sizeof n);
    }
    out->EndRecord(kind);
  }

  Result<std::unique_ptr<SinkConnection>> Connect() override {
    ASSIGN_OR_RETURN(PgConnPtr c, ConnectTo(t_));
    auto connection = std::make_unique<PgConnection>(std::move(c), t_);
    RETURN_IF_ERROR(connection->CheckTable());
    return std::unique_ptr<SinkConnection>(std::move(connection));
  }

  bool keyed() const override { return !t_.key.empty(); }
  std::string where() const override { return t_.where + " table " + TableName(t_); }

 private:
  const plan::StreamDef& def_;
  PgTarget t_;
};

constexpr size_t kMaxSourceBatch = 1024;

class PgSource final : public Source {
 public:
  PgSource(const plan::StreamDef& def, PgTarget t) : def_(def), t_(std::move(t)) {}

  std::string where() const override {
    return t_.where + (t_.query.empty() ? " table " + TableName(t_) : " query");
  }

  // "poll=<the largest value of the poll column read>".
  Status Resume(std::string_view position) override {
    if (position.rfind("poll=", 0) != 0)
      return Status::InvalidArgument(Named(def_) + ": a bad postgres position '" +
                                     std::string(position) + "' in the checkpoint");
    last_ = std::string(position.substr(5));
    resumed_ = true;
    return Status::OK();
  }

  Status Run(SourceContext& ctx) override {
    ASSIGN_OR_RETURN(PgConnPtr c, ConnectTo(t_));
    RETURN_IF_ERROR(Prepare(c.get()));
    Batch batch(def_.schema);
    // The load: every row (or, resumed, those after the checkpoint's), in the poll column's order.
    RETURN_IF_ERROR(Read(c.get(), resumed_, &batch, ctx));
    if (ctx.stopping()) return Status::OK();  // cut short: not loaded
    progress_.caught_up.store(true);
    if (t_.poll_column.empty()) {
      progress_.finished.store(true);
      return Status::OK();
    }
    // The updates. A failed poll is logged and tried again at the next one, on a new connection:
    // the database may be restarting.
    while (!ctx.stopping()) {
      auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(t_.poll_interval_ms);
      while (!ctx.stopping() && std::chrono::steady_clock::now() < due)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (ctx.stopping()) break;
      if (!c || PQstatus(c.get()) != CONNECTION_OK) {
        Result<PgConnPtr> again = ConnectTo(t_);
        if (!again.ok()) {
          Warn(again.status());
          continue;
        }
        c = std::move(again).value();
      }
      Status st = Read(c.get(), true, &batch, ctx);
      if (st.code() == StatusCode::kIoError) {
        Warn(st);
        c.reset();
        continue;
      }
      RETURN_IF_ERROR(st);
    }
    return Status::OK();
  }

 private:
  // The statement that reads the rows: the attributes by name (booleans as 'true'/'false',
  // timestamps and dates as epoch milliseconds), then the poll column as text.
  Status Prepare(PGconn* c) {
    // The query on lines of its own, so that a trailing comment cannot hide the parenthesis.
    std::string query = t_.query;
    while (!query.empty() &&
           (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back()))))
      query.pop_back();
    // Every column is named through the alias `src`: an input column, never an output one (the
    // poll column may be selected twice, once as text).
    std::string from = query.empty() ? QuotedTable(c, t_) : "(\n" + query + "\n)";
    from += " AS src";
    ASSIGN_OR_RETURN(
        select_,
        SelectList(c, t_, from, Named(def_) + ": cannot read its attributes from " + where()));
    if (!t_.poll_column.empty()) {
      std::string poll = "src." + QuotedIdentifier(c, t_.poll_column);
      std::string check = "SELECT " + poll + " FROM " + from + " LIMIT 0";
      PgResultPtr p(PQexec(c, check.c_str()));
      if (PQresultStatus(p.get()) != PGRES_TUPLES_OK)
        return Status::InvalidArgument(Named(def_) + ": 'poll.column' '" + t_.poll_column +
                                       "' cannot be read from " + where() + ": " +
                                       PQresultErrorMessage(p.get()));
      select_ += ", " + poll + "::text FROM " + from;
      after_ = " WHERE " + poll + " > $1";
      order_ = " ORDER BY " + poll;
    } else {
      select_ += " FROM " + from;
    }
    return Status::OK();
  }

  // Reads the rows (`after_last`: only those past last_) a row at a time, emitting batches; last_
  // moves only with what was emitted, so that a poll that fails midway reads the rest again. A
  // stop cancels the statement rather than wait for all its rows.
  Status Read(PGconn* c, bool after_last, Batch* batch, SourceContext& ctx) {
    bool filtered = after_last && !last_.empty() && !after_.empty();
    std::string sql = select_ + (filtered ? after_ : "") + order_;
    const char* params[] = {last_.c_str()};
    if (!PQsendQueryParams(c, sql.c_str(), filtered ? 1 : 0, nullptr, params, nullptr, nullptr, 0))
      return Status::IoError(Named(def_) + ": reading " + where() + ": " + PQerrorMessage(c));
    PQsetSingleRowMode(c);
    Status result;
    batch->Clear();
    size_t width = t_.columns.size();
    std::string read_last = last_;  // the poll column of the last row read
    bool cancelled = false;
    for (PGresult* raw; (raw = PQgetResult(c)) != nullptr;) {
      PgResultPtr r(raw);
      ExecStatusType st = PQresultStatus(r.get());
      if (st == PGRES_TUPLES_OK) continue;  // the end of the rows
      if (st != PGRES_SINGLE_TUPLE) {
        if (result.ok()) result = StatementError(c, r.get(), Named(def_) + ": reading " + where());
        continue;
      }
      if (ctx.stopping() && !cancelled) {
        cancelled = true;
        PQrequestCancel(c);  // the rest of the rows is not sent; what is on its way is drained
      }
      if (!result.ok() || cancelled) continue;  // drain what is left of the result
      size_t row = batch->AddRow(ctx.clock->NowMillis());
      uint64_t bytes = 0;
      std::string problem = DecodeTuple(r.get(), 0, def_.schema, batch, row, &bytes);
      if (problem.empty()) exec::AcceptSourceRow(def_, batch, row, &problem);
      if (!after_.empty() && !PQgetisnull(r.get(), 0, static_cast<int>(width)))
        read_last = PQgetvalue(r.get(), 0, static_cast<int>(width));
      progress_.records.fetch_add(1, std::memory_order_relaxed);
      progress_.bytes.fetch_add(bytes, std::memory_order_relaxed);
      if (!problem.empty()) {
        batch->Resize(row);
        ctx.malformed(where() + " row " + std::to_string(progress_.records.load()), problem);
      }
      if (batch->num_rows() >= kMaxSourceBatch) {
        result = ctx.emit(*batch, Position(read_last));
        if (result.ok()) last_ = read_last;
        batch->Clear();
      }
    }
    if (cancelled) result = Status::OK();  // the error is the cancel's
    if (result.ok() && !cancelled && batch->num_rows() > 0) {
      result = ctx.emit(*batch, Position(read_last));
      if (result.ok()) last_ = read_last;
    }
    if (result.ok() && !cancelled) last_ = read_last;  // rows that emitted nothing (malformed)
    batch->Clear();
    return result;
  }

  std::string Position(const std::string& last) const {
    return after_.empty() ? std::string() : "poll=" + last;
  }

  void Warn(const Status& st) {
    Log(LogLevel::kWarn, Named(def_) + ": " + st.message() + " (polled again in " +
                             std::to_string(t_.poll_interval_ms) + " ms)");
  }

  const plan::StreamDef& def_;
  PgTarget t_;
  std::string select_, after_, order_;
  std::string last_;  // the poll column's largest value read, as text
  bool resumed_ = false;
};

// The rows of a table that lives in PostgreSQL, by key: one SELECT ... WHERE (key) IN (...) per
// lookup (per 65535 parameters). A row that does not decode into the table's columns is logged
// and taken as no row. Connections are pooled: a lookup holds one, and no lock, while the
// server answers.
class PgTableStore final : public exec::TableStore {
 public:
  PgTableStore(const plan::StreamDef& def, PgTarget t) : def_(def), t_(std::move(t)) {}

  std::string where() const override { return t_.where + " table " + TableName(t_); }

  // A first connection, and the statement's text: a wrong URL, table or column fails the run
  // at its start.
  Status Open() {
    Result<PgConnPtr> c = ConnectTo(t_);
    if (!c.ok()) return Status(c.status().code(), Named(def_) + ": " + c.status().message());
    PGconn* conn = c->get();
    from_ = QuotedTable(conn, t_) + " AS src";
    ASSIGN_OR_RETURN(
        select_,
        SelectList(conn, t_, from_, Named(def_) + ": cannot read its columns from " + where()));
    key_columns_.clear();
    for (int k : def_.primary_key)
      key_columns_ += (key_columns_.empty() ? "src." : ", src.") +
                      QuotedIdentifier(conn, t_.columns[static_cast<size_t>(k)]);
    Give(std::move(c).value());
    return Status::OK();
  }

  Status Lookup(const Batch& keys, Batch* rows, std::vector<uint8_t>* found) override {
    PgConnPtr c = Take();
    if (!c) {
      ASSIGN_OR_RETURN(c, ConnectTo(t_));
    }
    size_t n = keys.num_rows();
    rows->Reset(def_.schema);
    rows->Resize(n);
    found->assign(n, 0);
    const std::vector<int>& pk = def_.primary_key;
    absl::flat_hash_map<std::string, size_t> index;
    std::string key;
    for (size_t i = 0; i < n; ++i) {
      key.clear();
      for (int k : pk) AppendValueKey(keys.column(static_cast<size_t>(k)), i, &key);
      index.emplace(key, i);
    }
    Batch one(def_.schema);
    size_t per_statement = kMaxParams / pk.size();
    for (size_t from = 0; from < n; from += per_statement) {
      size_t count = std::min(per_statement, n - from);
      std::vector<std::string> text;
      text.reserve(count * pk.size());
      std::vector<const char*> values;
      std::string sql = select_ + " FROM " + from_ + " WHERE (" + key_columns_ + ") IN (";
      for (size_t i = from; i < from + count; ++i) {
        sql += i > from ? ", (" : "(";
        for (size_t k = 0; k < pk.size(); ++k) {
          text.emplace_back();
          AppendFieldText(&text.back(), keys.column(static_cast<size_t>(pk[k])), i);
          values.push_back(text.back().c_str());
          sql += (k ? ", $" : "$") + std::to_string(values.size());
        }
        sql += ")";
      }
      sql += ")";
      PgResultPtr r(PQexecParams(c.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        Status st = StatementError(c.get(), r.get(), "looking rows up in " + where());
        if (st.code() != StatusCode::kIoError) Give(std::move(c));
        return st;
      }
      for (int tuple = 0; tuple < PQntuples(r.get()); ++tuple) {
        one.Clear();
        one.AddRow(0);
        uint64_t bytes = 0;
        std::string problem = DecodeTuple(r.get(), tuple, def_.schema, &one, 0, &bytes);
        key.clear();
        for (int k : pk) AppendValueKey(one.column(static_cast<size_t>(k)), 0, &key);
        auto it = index.find(key);
        if (!problem.empty()) {
          Log(LogLevel::kWarn, Named(def_) + ": a row of " + where() +
                                   " is not a row of the table (" + problem + "): taken as no row");
          continue;
        }
        if (it == index.end()) continue;  // not a key asked for (a key that text changed)
        rows->CopyRowInto(one, 0, it->second, 0);
        (*found)[it->second] = 1;
      }
    }
    Give(std::move(c));
    return Status::OK();
  }

 private:
  PgConnPtr Take() {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (idle_.empty()) return nullptr;
    PgConnPtr c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  void Give(PgConnPtr c) {
    if (!c || PQstatus(c.get()) != CONNECTION_OK) return;
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (idle_.size() < 8) idle_.push_back(std::move(c));
  }

  const plan::StreamDef& def_;
  PgTarget t_;
  std::string select_, from_, key_columns_;
  std::mutex pool_mu_;
  std::vector<PgConnPtr> idle_;
};

std::vector<std::string> Split(const std::string& s, char by) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (size_t at; (at = s.find(by, from)) != std::string::npos; from = at + 1)
    parts.push_back(s.substr(from, at - from));
  parts.push_back(s.substr(from));
  for (std::string& p : parts) {
    while (!p.empty() && p.front() == ' ') p.erase(0, 1);
    while (!p.empty() && p.back() == ' ') p.pop_back();
  }
  return parts;
}

// What every PostgreSQL connector of `def` reads from its properties: 'url', 'table' (when
// given), 'connect.timeout', and the attributes as columns.
Result<PgTarget> TargetOf(const plan::StreamDef& def) {
  PgTarget t;
  t.url = Prop(def, "url", "");
  if (t.url.empty())
    return SinkConfigError(
        def, "connector 'postgres' needs a 'url' such as 'postgresql://user@127.0.0.1:5432/db'");
  Result<Url> url = ParseUrl(t.url);
  if (!url.ok()) return SinkConfigError(def, "'url': " + url.status().message());
  if (url->scheme != "postgresql" && url->scheme != "postgres")
    return SinkConfigError(def,
                           "'url' must start with postgresql://, got '" + RedactedUrl(*url) + "'");
  t.where = RedactedUrl(*url);
  std::string table = Prop(def, "table", "");
  if (!table.empty()) t.table = Split(table, '.');
  for (const auto& f : def.schema.fields()) t.columns.push_back(f.name);
  RETURN_IF_ERROR(DurationProperty(def, "connect.timeout", 1, &t.connect_timeout_ms));
  return t;
}

}  // namespace

Result<std::unique_ptr<Sink>> MakePostgresSink(const plan::StreamDef& def, const SinkOpen& open) {
  ASSIGN_OR_RETURN(PgTarget t, TargetOf(def));
  if (t.table.empty()) return SinkConfigError(def, "connector 'postgres' needs a 'table'");
  std::string key = Prop(def, "key", "");
  if (!key.empty()) {
    for (const std::string& name : Split(key, ',')) {
      int c = def.schema.IndexOf(name);
      if (c < 0) return SinkConfigError(def, "'key': '" + name + "' is not an attribute");
      t.key.push_back(c);
    }
    std::sort(t.key.begin(), t.key.end());
    t.key.erase(std::unique(t.key.begin(), t.key.end()), t.key.end());
  }
  // A table that lives in PostgreSQL upserts by its primary key.
  if (t.key.empty() && def.is_table) {
    t.key = def.primary_key;
    std::sort(t.key.begin(), t.key.end());
  }
  return OpenRuntimeSink(def, std::make_unique<PgStore>(def, std::move(t)));
}

Result<std::unique_ptr<exec::TableStore>> MakePostgresTableStore(const plan::StreamDef& def) {
  ASSIGN_OR_RETURN(PgTarget t, TargetOf(def));
  if (t.table.empty()) return SinkConfigError(def, "connector 'postgres' needs a 'table'");
  if (def.primary_key.empty())
    return SinkConfigError(def, "a table that lives in PostgreSQL needs a PRIMARY KEY");
  auto store = std::make_unique<PgTableStore>(def, std::move(t));
  RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<exec::TableStore>(std::move(store));
}

Result<std::unique_ptr<Source>> MakePostgresSource(const plan::StreamDef& def) {
  ASSIGN_OR_RETURN(PgTarget t, TargetOf(def));
  t.query = Prop(def, "query", "");
  if (t.table.empty() == t.query.empty())
    return SinkConfigError(def, "a postgres source reads a 'table' or a 'query' (one of them)");
  t.poll_column = Prop(def, "poll.column", "");
  RETURN_IF_ERROR(DurationProperty(def, "poll.interval", 1, &t.poll_interval_ms));
  return std::unique_ptr<Source>(std::make_unique<PgSource>(def, std::move(t)));
}

}  // namespace sluice::connectors
