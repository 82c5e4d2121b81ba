// The Redis sink: each row becomes one command (SET, HSET, XADD or PUBLISH; a delete becomes DEL),
// pipelined per batch through the sink runtime, one round trip per batch. hiredis stays in this
// file.
#include <hiredis/hiredis.h>

#include <sys/time.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "common/log.h"
#include "common/url.h"
#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "connectors/sink_runtime.h"
#include "exec/table_cache.h"
#include "plan/options.h"

namespace sluice::connectors {

namespace {

enum class Command { kSet, kHset, kXadd, kPublish };

struct RedisTarget {
  Url url;
  int db = 0;
  std::string where;  // the URL without its password
  int64_t connect_timeout_ms = 5000;
  int64_t timeout_ms = 5000;
};

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval Timeval(int64_t ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// Arguments after the key, length-prefixed in a record's value: SET's value, HSET's fields and
// values, XADD's id, fields and values, PUBLISH's message.
void AppendArg(std::string* out, std::string_view arg) {
  uint32_t n = static_cast<uint32_t>(arg.size());
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(arg);
}

// Begins an argument whose bytes are appended next, in place (no temporary string per field);
// EndArg writes its length.
size_t BeginArg(std::string* out) {
  out->append(sizeof(uint32_t), '\0');
  return out->size();
}
void EndArg(std::string* out, size_t begin) {
  uint32_t n = static_cast<uint32_t>(out->size() - begin);
  std::memcpy(out->data() + begin - sizeof n, &n, sizeof n);
}

// In an HSET record, the argument after which come the fields of the NULL attributes (no
// attribute name holds a NUL).
constexpr std::string_view kNullFields("\0", 1);

// Error replies of a server that may answer otherwise later.
bool Transient(std::string_view error) {
  for (std::string_view prefix : {"LOADING", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN", "OOM",
                                  "CLUSTERDOWN", "NOREPLICAS"})
    if (error.substr(0, prefix.size()) == prefix) return true;
  return false;
}

Status CheckReply(const RedisTarget& t, redisContext* c, redisReply* r, const std::string& what) {
  if (!r) return Status::IoError(t.where + ": " + what + ": " + c->errstr);
  if (r->type == REDIS_REPLY_ERROR)
    return Status::InvalidArgument(t.where + ": " + what +
                                   " was refused: " + std::string(r->str, r->len));
  return Status::OK();
}

// A connection to the target, authenticated and on its database.
Result<ContextPtr> ConnectRedis(const RedisTarget& t) {
  const Url& u = t.url;
  ContextPtr c(redisConnectWithTimeout(u.host.c_str(), u.port ? u.port : 6379,
                                       Timeval(t.connect_timeout_ms)));
  if (!c) return Status::IoError("cannot connect to " + t.where + ": out of memory");
  if (c->err) return Status::IoError("cannot connect to " + t.where + ": " + c->errstr);
  redisSetTimeout(c.get(), Timeval(t.timeout_ms));
  if (!u.password.empty()) {
    ReplyPtr r(static_cast<redisReply*>(
        u.user.empty() ? redisCommand(c.get(), "AUTH %b", u.password.data(), u.password.size())
                       : redisCommand(c.get(), "AUTH %b %b", u.user.data(), u.user.size(),
                                      u.password.data(), u.password.size())));
    RETURN_IF_ERROR(CheckReply(t, c.get(), r.get(), "AUTH"));
  }
  if (t.db != 0) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", t.db)));
    RETURN_IF_ERROR(CheckReply(t, c.get(), r.get(), "SELECT " + std::to_string(t.db)));
  }
  return c;
}

class RedisConnection : public SinkConnection {
 public:
  RedisConnection(ContextPtr c, Command command, int64_t ttl_ms)
      : c_(std::move(c)), command_(command), ttl_ms_(ttl_ms) {}

  Status Write(const SinkRecords& records, size_t begin, size_t end) override {
    size_t commands = 0;
    for (size_t i = begin; i < end; ++i) {
      RETURN_IF_ERROR(Append(records, i, &commands));
    }
    // Every reply is read, errors included, so that the connection stays in step.
    size_t refused = 0;
    std::string first;
    bool transient = false;
    for (size_t i = 0; i < commands; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c_.get(), &raw) != REDIS_OK) return ConnectionError();
      ReplyPtr reply(static_cast<redisReply*>(raw));
      if (reply->type != REDIS_REPLY_ERROR) continue;
      if (refused++ == 0) first = std::string(reply->str, reply->len);
      transient = transient || Transient(std::string_view(reply->str, reply->len));
    }
    if (refused == 0) return Status::OK();
    std::string what = "Redis refused " + std::to_string(refused) + " of the batch's " +
                       std::to_string(commands) + " command(s), the first with: " + first;
    // A server that is loading, failing over or out of memory may take the batch again later
    // (every command of it is idempotent but XADD's and PUBLISH's); any other refusal is about
    // the commands themselves.
    return transient ? Status::IoError(what) : Status::InvalidArgument(what);
  }

 private:
  Status Append(const SinkRecords& records, size_t i, size_t* commands) {
    argv_.clear();
    lens_.clear();
    std::string_view key = records.key(i);
    bool keyed = command_ == Command::kSet || command_ == Command::kHset;
    if (keyed && records.kind(i) == ChangeKind::kDelete) {
      Arg("DEL");
      Arg(key);
      return Send(commands);
    }
    static constexpr const char* kNames[] = {"SET", "HSET", "XADD", "PUBLISH"};
    Arg(kNames[static_cast<int>(command_)]);
    Arg(key);
    std::string_view args = records.value(i);
    size_t null_fields = 0;  // HSET: where the names of the NULL attributes begin in argv_
    while (args.size() >= sizeof(uint32_t)) {
      uint32_t n;
      std::memcpy(&n, args.data(), sizeof n);
      std::string_view arg = args.substr(sizeof n, n);
      args.remove_prefix(sizeof n + n);
      if (arg == kNullFields) {
        null_fields = argv_.size();
        continue;
      }
      Arg(arg);
    }
    if (null_fields > 0) {
      // HSET merges fields: a NULL attribute's field is deleted, so that the hash is the row.
      std::vector<const char*> names(argv_.begin() + null_fields, argv_.end());
      std::vector<size_t> name_lens(lens_.begin() + null_fields, lens_.end());
      argv_.resize(null_fields);
      lens_.resize(null_fields);
      if (argv_.size() > 2) RETURN_IF_ERROR(Send(commands));
      argv_.clear();
      lens_.clear();
      Arg("HDEL");
      Arg(key);
      argv_.insert(argv_.end(), names.begin(), names.end());
      lens_.insert(lens_.end(), name_lens.begin(), name_lens.end());
      RETURN_IF_ERROR(Send(commands));
      if (ttl_ms_ > 0) {
        std::string ttl = std::to_string(ttl_ms_);
        argv_.clear();
        lens_.clear();
        Arg("PEXPIRE");
        Arg(key);
        Arg(ttl);
        RETURN_IF_ERROR(Send(commands));
      }
      return Status::OK();
    }
    std::string ttl;
    if (ttl_ms_ > 0 && command_ == Command::kSet) {
      ttl = std::to_string(ttl_ms_);
      Arg("PX");
      Arg(ttl);
    }
    RETURN_IF_ERROR(Send(commands));
    if (ttl_ms_ > 0 && command_ == Command::kHset) {
      argv_.clear();
      lens_.clear();
      ttl = std::to_string(ttl_ms_);
      Arg("PEXPIRE");
      Arg(key);
      Arg(ttl);
      RETURN_IF_ERROR(Send(commands));
    }
    return Status::OK();
  }

  void Arg(std::string_view a) {
    argv_.push_back(a.data());
    lens_.push_back(a.size());
  }

  Status Send(size_t* commands) {
    if (redisAppendCommandArgv(c_.get(), static_cast<int>(argv_.size()), argv_.data(),
                               lens_.data()) != REDIS_OK)
      return ConnectionError();
    ++*commands;
    return Status::OK();
  }

  Status ConnectionError() const {
    return Status::IoError(c_->errstr[0] ? c_->errstr : "the connection was lost");
  }

  ContextPtr c_;
  Command command_;
  int64_t ttl_ms_;
  std::vector<const char*> argv_;
  std::vector<size_t> lens_;
};

class RedisStore : public SinkStore {
 public:
  RedisStore(const plan::StreamDef& def, RedisTarget target, Command command,
             std::vector<plan::KeyTemplatePart> key, int64_t ttl_ms, bool changelog)
      : def_(def),
        target_(std::move(target)),
        command_(command),
        key_(std::move(key)),
        ttl_ms_(ttl_ms),
        format_(SinkFormatOf(def, changelog)) {}

  void Encode(const Batch& batch, size_t row, SinkRecords* out) override {
    ChangeKind kind = batch.kind(row);
    bool keyed = command_ == Command::kSet || command_ == Command::kHset;
    // A keyed store holds each key's latest row: the row an update replaces needs no command
    // (its key gets the new row next), as in Flink's upsert sinks.
    if (keyed && kind == ChangeKind::kUpdateBefore) return;
    std::string* b = out->bytes();
    for (const plan::KeyTemplatePart& part : key_) {
      if (part.column >= 0 && batch.column(part.column).IsNull(row)) {
        // No key to write it under: refused and counted, not written under a truncated key.
        out->Abandon();
        out->Refuse();
        if (!warned_null_key_.exchange(true))
          Log(LogLevel::kWarn, "stream '" + def_.name + "': a row whose key attribute '" +
                                   def_.schema.field(part.column).name +
                                   "' is NULL has no Redis key: such rows are not written "
                                   "(counted as failed)");
        return;
      }
      if (part.column < 0) {
        b->append(part.text);
      } else {
        AppendFieldText(b, batch.column(part.column), row);
      }
    }
    out->EndKey();
    if (keyed && kind == ChangeKind::kDelete) {
      out->EndRecord(ChangeKind::kDelete);
      return;
    }
    const Schema& schema = def_.schema;
    switch (command_) {
      case Command::kSet: {
        size_t at = BeginArg(b);
        SinkFormat plain = format_;
        plain.changelog = false;  // the command says the change: SET or DEL
        AppendSinkRow(plain, schema, batch, row, b);
        b->pop_back();  // the line's '\n'
        EndArg(b, at);
        break;
      }
      case Command::kXadd:
        AppendArg(b, "*");
        if (format_.changelog) {
          AppendArg(b, "op");
          AppendArg(b, ChangeKindName(kind));
        }
        [[fallthrough]];
      case Command::kHset: {
        bool nulls = false;
        for (size_t c = 0; c < schema.size(); ++c) {
          if (batch.column(c).IsNull(row)) {  // a missing field is NULL
            nulls = true;
            continue;
          }
          AppendArg(b, schema.field(c).name);
          size_t at = BeginArg(b);
          AppendFieldText(b, batch.column(c), row);
          EndArg(b, at);
        }
        if (nulls && command_ == Command::kHset) {  // HDEL's fields follow the marker
          AppendArg(b, kNullFields);
          for (size_t c = 0; c < schema.size(); ++c)
            if (batch.column(c).IsNull(row)) AppendArg(b, schema.field(c).name);
        }
        break;
      }
      case Command::kPublish: {
        size_t at = BeginArg(b);
        AppendSinkRow(format_, schema, batch, row, b);
        b->pop_back();
        EndArg(b, at);
        break;
      }
    }
    out->EndRecord(kind);
  }

  Result<std::unique_ptr<SinkConnection>> Connect() override {
    ASSIGN_OR_RETURN(ContextPtr c, ConnectRedis(target_));
    return std::unique_ptr<SinkConnection>(
        std::make_unique<RedisConnection>(std::move(c), command_, ttl_ms_));
  }

  std::string where() const override { return target_.where; }
  bool keyed() const override { return true; }  // a Redis key: a stream's entries keep order too

 private:
  const plan::StreamDef& def_;
  RedisTarget target_;
  Command command_;
  std::vector<plan::KeyTemplatePart> key_;
  int64_t ttl_ms_;
  SinkFormat format_;
  std::atomic<bool> warned_null_key_{false};
};

Result<RedisTarget> ParseRedisTarget(const plan::StreamDef& def) {
  RedisTarget t;
  std::string url = Prop(def, "url", "");
  if (url.empty())
    return SinkConfigError(def,
                           "connector 'redis' needs a 'url' such as 'redis://127.0.0.1:6379/0'");
  Result<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return SinkConfigError(def, "'url': " + parsed.status().message());
  t.url = std::move(*parsed);
  if (t.url.scheme != "redis")
    return SinkConfigError(def, "'url' must start with redis://, got '" + RedactedUrl(t.url) + "'");
  if (!t.url.path.empty() && t.url.path != "/") {
    std::string db = t.url.path.substr(1);
    char* end = nullptr;
    long v = std::strtol(db.c_str(), &end, 10);
    if (db.empty() || *end != '\0' || v < 0 || v > 1'000'000)
      return SinkConfigError(
          def, "'url': the database after the '/' must be a number, got '" + db + "'");
    t.db = static_cast<int>(v);
  }
  t.where = RedactedUrl(t.url);
  RETURN_IF_ERROR(DurationProperty(def, "connect.timeout", 1, &t.connect_timeout_ms));
  RETURN_IF_ERROR(DurationProperty(def, "timeout", 1, &t.timeout_ms));
  return t;
}

Result<Command> ParseCommand(const plan::StreamDef& def) {
  std::string name = Prop(def, "command", "set");
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "set") return Command::kSet;
  if (name == "hset") return Command::kHset;
  if (name == "xadd") return Command::kXadd;
  if (name == "publish") return Command::kPublish;
  return SinkConfigError(
      def, "'command' must be 'set', 'hset', 'xadd' or 'publish', got '" + name + "'");
}

// The rows of a table that lives in Redis, by key: one pipelined GET (for 'set') or HGETALL (for
// 'hset') per key, one round trip per lookup. A value that does not decode into the table's
// columns is logged and taken as no row. Connections are pooled: a lookup holds one, and no
// lock, while Redis answers.
class RedisTableStore final : public exec::TableStore {
 public:
  RedisTableStore(const plan::StreamDef& def, RedisTarget target, Command command,
                  std::vector<plan::KeyTemplatePart> key)
      : def_(def),
        target_(std::move(target)),
        command_(command),
        key_(std::move(key)),
        format_(SinkFormatOf(def, false)) {}

  std::string where() const override { return target_.where; }

  // A first connection, so that a wrong URL fails the run at its start.
  Status Open() {
    std::unique_ptr<Connection> c = Take();
    Result<ContextPtr> context = ConnectRedis(target_);
    if (!context.ok())
      return Status(context.status().code(), Named(def_) + ": " + context.status().message());
    c->context = std::move(context).value();
    Give(std::move(c));
    return Status::OK();
  }

  Status Lookup(const Batch& keys, Batch* rows, std::vector<uint8_t>* found) override {
    std::unique_ptr<Connection> c = Take();
    if (!c->context) {
      ASSIGN_OR_RETURN(c->context, ConnectRedis(target_));
    }
    size_t n = keys.num_rows();
    rows->Reset(def_.schema);
    rows->Resize(n);
    found->assign(n, 0);
    std::vector<std::string> names(n);
    for (size_t i = 0; i < n; ++i) {
      for (const plan::KeyTemplatePart& part : key_) {
        if (part.column < 0) {
          names[i] += part.text;
        } else {
          AppendFieldText(&names[i], keys.column(static_cast<size_t>(part.column)), i);
        }
      }
      const char* verb = command_ == Command::kHset ? "HGETALL" : "GET";
      const char* argv[] = {verb, names[i].data()};
      size_t lens[] = {std::strlen(verb), names[i].size()};
      if (redisAppendCommandArgv(c->context.get(), 2, argv, lens) != REDIS_OK)
        return Lost(c->context.get());
    }
    for (size_t i = 0; i < n; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c->context.get(), &raw) != REDIS_OK) return Lost(c->context.get());
      ReplyPtr reply(static_cast<redisReply*>(raw));
      std::string problem;
      std::string_view error =
          reply->type == REDIS_REPLY_ERROR ? std::string_view(reply->str, reply->len) : "";
      if (reply->type == REDIS_REPLY_ERROR && error.substr(0, 9) != "WRONGTYPE") {
        // Every reply is read first, so that the connection stays in step. A server that is
        // loading or failing over may answer later; any other refusal is about the lookup.
        std::string what = "Redis refused the lookup of '" + names[i] + "': " + std::string(error);
        bool transient = Transient(error);
        for (size_t j = i + 1; j < n; ++j) {
          if (redisGetReply(c->context.get(), &raw) != REDIS_OK) return Lost(c->context.get());
          freeReplyObject(raw);
        }
        Give(std::move(c));
        return transient ? Status::IoError(what) : Status::InvalidArgument(what);
      }
      if (!error.empty()) {
        problem = command_ == Command::kHset ? "it is not a hash" : "it is not a string";
      } else if (command_ == Command::kHset) {
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
          (*found)[i] = 1;
          for (size_t e = 0; e + 1 < reply->elements && problem.empty(); e += 2) {
            std::string_view field(reply->element[e]->str, reply->element[e]->len);
            std::string_view text(reply->element[e + 1]->str, reply->element[e + 1]->len);
            int col = def_.schema.IndexOf(std::string(field));
            if (col < 0) continue;  // a field that is no column
            if (!rows->SetValue(i, static_cast<size_t>(col), Value(text)))
              problem = "field '" + std::string(field) + "' is not " +
                        def_.schema.field(static_cast<size_t>(col)).type.ToString() + ": '" +
                        std::string(text) + "'";
          }
        }
      } else if (reply->type == REDIS_REPLY_STRING) {
        (*found)[i] = 1;
        std::string_view value(reply->str, reply->len);
        Status st;
        if (format_.csv) {
          c->fields.clear();
          st = SplitCsv(value, format_.delimiter, &c->fields)
                   ? DecodeCsvFields(c->fields, {}, def_.schema, rows, i)
                   : Status::InvalidArgument("an unterminated quote");
        } else {
          st = c->json->Decode(value, rows, i);
        }
        if (!st.ok()) problem = st.message();
      } else if (reply->type != REDIS_REPLY_NIL) {
        problem = "it is not a string";
      }
      if (!problem.empty()) {
        (*found)[i] = 0;
        for (size_t col = 0; col < def_.schema.size(); ++col) rows->column(col).SetNull(i);
        Log(LogLevel::kWarn, Named(def_) + ": the value of '" + names[i] + "' in " + target_.where +
                                 " is not a row of the table (" + problem + "): taken as no row");
      }
    }
    Give(std::move(c));
    return Status::OK();
  }

 private:
  struct Connection {
    ContextPtr context;
    std::unique_ptr<JsonRowDecoder> json;
    std::vector<std::string> fields;  // of a CSV value
  };

  std::unique_ptr<Connection> Take() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Connection> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<Connection>();
    c->json = std::make_unique<JsonRowDecoder>(def_.schema);
    return c;
  }
  void Give(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (idle_.size() < 8) idle_.push_back(std::move(c));
  }
  // The connection is dropped (its replies are out of step): the next lookup opens another.
  Status Lost(redisContext* c) const {
    return Status::IoError(target_.where + ": " +
                           (c->errstr[0] ? c->errstr : "the connection was lost"));
  }

  const plan::StreamDef& def_;
  RedisTarget target_;
  Command command_;
  std::vector<plan::KeyTemplatePart> key_;
  SinkFormat format_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

Result<std::unique_ptr<exec::TableStore>> MakeRedisTableStore(const plan::StreamDef& def) {
  ASSIGN_OR_RETURN(RedisTarget target, ParseRedisTarget(def));
  ASSIGN_OR_RETURN(Command command, ParseCommand(def));
  if (command != Command::kSet && command != Command::kHset)
    return SinkConfigError(def, "a table that lives in Redis is written with 'set' or 'hset'");
  Result<std::vector<plan::KeyTemplatePart>> key =
      plan::ParseKeyTemplate(Prop(def, "key", ""), def.schema, false);
  if (!key.ok()) return SinkConfigError(def, "'key': " + key.status().message());
  auto store = std::make_unique<RedisTableStore>(def, std::move(target), command, std::move(*key));
  RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<exec::TableStore>(std::move(store));
}

Result<std::unique_ptr<Sink>> MakeRedisSink(const plan::StreamDef& def, const SinkOpen& open) {
  ASSIGN_OR_RETURN(RedisTarget target, ParseRedisTarget(def));
  ASSIGN_OR_RETURN(Command command, ParseCommand(def));
  std::string name = Prop(def, "command", "set");
  std::string key_text = Prop(def, "key", "");
  if (key_text.empty())
    return SinkConfigError(def,
                           "connector 'redis' needs a 'key': an attribute, or a template such as "
                           "'user:{id}'" +
                               std::string(command == Command::kXadd      ? " (the stream's key)"
                                           : command == Command::kPublish ? " (the channel)"
                                                                          : ""));
  bool literal_ok = command == Command::kXadd || command == Command::kPublish;
  Result<std::vector<plan::KeyTemplatePart>> key =
      plan::ParseKeyTemplate(key_text, def.schema, literal_ok);
  if (!key.ok()) return SinkConfigError(def, "'key': " + key.status().message());
  int64_t ttl_ms = 0;
  RETURN_IF_ERROR(DurationProperty(def, "ttl", 1, &ttl_ms));
  if (ttl_ms > 0 && literal_ok)
    return SinkConfigError(def, "'ttl' applies to 'set' and 'hset', not to '" + name + "'");
  return OpenRuntimeSink(
      def, std::make_unique<RedisStore>(def, std::move(target), command, std::move(*key), ttl_ms,
                                        open.changelog));
}

}  // namespace sluice::connectors
