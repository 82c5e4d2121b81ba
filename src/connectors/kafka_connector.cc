// Kafka sources and sinks (librdkafka), JSON or CSV values, one event per message.
//
// Source: a consumer in a consumer group ('group.id', default "sluice-<stream>") subscribed to
// 'topic'; 'auto.offset.reset' earliest (default) or latest; 'topic.wait.timeout' waits for a topic
// that does not exist yet, checking every 'topic.retry.interval'. Offsets are stored only after
// the events reached the engine, so a restart re-reads what was not processed (at least once).
// With checkpoints, each emit's position is the next offset of every partition read so far; a
// resumed source starts each assigned partition there, and offsets are committed to the group
// only once a checkpoint that holds them is complete (for monitoring tools: the checkpoint, not
// the group, is what a restart resumes from).
// 'key.field', 'partition.field', 'offset.field', 'timestamp.field' put each record's metadata
// into attributes.
// A table's source (runtime/table_loader.h) reads the whole topic, every partition from its
// beginning (or a checkpoint's offsets), in no consumer group: the topic is a changelog by key,
// each value a row, a null value (a tombstone) deleting the row of its message key. It has
// caught up once every partition reached the end offset it had when the source started.
// Sink: a producer to 'topic'; a message that cannot be delivered stops the app with the loss
// counted. 'key.field' keys the messages and makes the topic an upsert topic (deletes are
// tombstones). 'kafka.<name>' properties pass <name> to librdkafka.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/format.h"
#include "common/log.h"
#include "connectors/connector.h"
#include "connectors/csv_codec.h"
#include "connectors/json_codec.h"
#include "connectors/registry.h"
#include "connectors/sink_format.h"
#include "exec/event_time.h"
#include "plan/options.h"

namespace sluice::connectors {

namespace {

// A duration property (checked by the planner), or `dflt` when it is not given.
int64_t DurationMs(const std::string& text, int64_t dflt) {
  int64_t ms = dflt;
  if (text.empty() || !plan::ParseDurationText(text, &ms)) return dflt;
  return ms;
}

// Whether a broker answers within 'connect.timeout' (default 30 s; '0': do not check): a wrong
// address or a cluster that is down fails the run with that, rather than waiting silently.
Status CheckBrokers(rd_kafka_t* rk, const plan::StreamDef& def) {
  int64_t timeout = DurationMs(Prop(def, "connect.timeout", ""), 30'000);
  if (timeout <= 0) return Status::OK();
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, nullptr, &md, static_cast<int>(timeout));
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
    return Status::OK();
  }
  return Status::IoError(Named(def) + ": no Kafka broker answered at '" +
                         Prop(def, "bootstrap.servers", "localhost:9092") + "' within " +
                         std::to_string(timeout) +
                         " ms ('connect.timeout'): " + rd_kafka_err2str(e));
}

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
struct KafkaTopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaTopicDeleter>;

// librdkafka's own log lines (%3|...|FAIL|...) go to Sluice's log at debug level: what a user
// needs of them comes through BrokerErrors, in words.
void LibrdkafkaLog(const rd_kafka_t*, int level, const char* facility, const char* line) {
  Log(LogLevel::kDebug, std::string("librdkafka ") + facility + ": " + line);
}

// A client's errors after the start (brokers down, a topic gone), said in Sluice's words, each
// kind at most every 10 s with how often it came meanwhile: librdkafka retries on its own, and a
// broker that is down must not flood the log. Thread-safe.
class BrokerErrors {
 public:
  BrokerErrors(std::string who, std::string servers, std::string topic)
      : who_(std::move(who)), servers_(std::move(servers)), topic_(std::move(topic)) {}

  void Report(rd_kafka_resp_err_t err, const std::string& detail) {
    auto now = std::chrono::steady_clock::now();
    uint64_t more = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Seen& seen = seen_[err];
      if (seen.logged && now - seen.at < std::chrono::seconds(10)) {
        ++seen.suppressed;
        return;
      }
      more = seen.suppressed;
      seen = {true, now, 0};
    }
    Log(LogLevel::kWarn, who_ + ": " + Words(err) + (detail.empty() ? "" : " (" + detail + ")") +
                             (more ? "; " + std::to_string(more) + " more since" : ""));
  }

 private:
  struct Seen {
    bool logged = false;
    std::chrono::steady_clock::time_point at;
    uint64_t suppressed = 0;
  };

  std::string Words(rd_kafka_resp_err_t err) const {
    switch (err) {
      case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        return "no Kafka broker at '" + servers_ + "' is reachable; retrying";
      case RD_KAFKA_RESP_ERR__TRANSPORT:
        return "the connection to a Kafka broker at '" + servers_ + "' failed; reconnecting";
      case RD_KAFKA_RESP_ERR__RESOLVE:
        return "a Kafka broker's host name in '" + servers_ + "' does not resolve";
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return "kafka topic '" + topic_ + "' does not exist (any more)";
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        return "not allowed to use kafka topic '" + topic_ + "'";
      case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        return "authentication with the Kafka brokers failed";
      case RD_KAFKA_RESP_ERR__TIMED_OUT:
        return "a request to a Kafka broker timed out; retrying";
      default:
        return "kafka topic '" + topic_ + "': " + rd_kafka_err2str(err);
    }
  }

  const std::string who_, servers_, topic_;
  std::mutex mu_;
  std::map<int, Seen> seen_;
};

// A librdkafka configuration from the stream's properties; the error names the property.
Result<rd_kafka_conf_t*> MakeConf(const plan::StreamDef& def,
                                  const std::vector<std::pair<std::string, std::string>>& base) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      return Status::InvalidArgument(Named(def) + ": kafka property '" + k + "': " + err);
    return Status::OK();
  };
  Status st;
  for (const auto& [k, v] : base)
    if (st.ok()) st = set(k, v);
  for (const auto& [k, v] : def.connector->properties)
    if (st.ok() && k.rfind("kafka.", 0) == 0) st = set(k.substr(6), v);
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  rd_kafka_conf_set_log_cb(conf, &LibrdkafkaLog);
  return conf;
}

class KafkaSource final : public Source {
 public:
  explicit KafkaSource(const plan::StreamDef& def)
      : def_(def),
        json_(def.schema),
        errors_(Named(def), Prop(def, "bootstrap.servers", "localhost:9092"),
                Prop(def, "topic", def.name)) {
    csv_ = def.connector->format == "csv";
    key_field_ = def.schema.IndexOf(Prop(def, "key.field", ""));
    partition_field_ = def.schema.IndexOf(Prop(def, "partition.field", ""));
    offset_field_ = def.schema.IndexOf(Prop(def, "offset.field", ""));
    timestamp_field_ = def.schema.IndexOf(Prop(def, "timestamp.field", ""));
    table_ = def.is_table;
    // A tombstone's key goes into 'key.field', else into the table's one-attribute key.
    tombstone_key_ = key_field_ >= 0                         ? key_field_
                     : table_ && def.primary_key.size() == 1 ? def.primary_key[0]
                                                             : -1;
  }

  std::string where() const override { return "topic " + Prop(def_, "topic", def_.name); }

  // "<partition>=<next offset>,..."
  Status Resume(std::string_view position) override {
    resumed_ = true;
    if (!ParsePosition(position, &next_)) {
      return Status::InvalidArgument(Named(def_) + ": a bad kafka position '" +
                                     std::string(position) + "' in the checkpoint");
    }
    return Status::OK();
  }

  void Committed(std::string_view position) override {
    std::map<int32_t, int64_t> offsets;
    if (!ParsePosition(position, &offsets)) return;
    std::lock_guard<std::mutex> lock(commit_mu_);
    to_commit_ = std::move(offsets);
  }

  Status Run(SourceContext& ctx) override {
    std::string topic = Prop(def_, "topic", def_.name);
    ASSIGN_OR_RETURN(
        rd_kafka_conf_t * conf,
        MakeConf(def_, {{"bootstrap.servers", Prop(def_, "bootstrap.servers", "localhost:9092")},
                        {"group.id", Prop(def_, "group.id", "sluice-" + def_.name)},
                        {"auto.offset.reset", Prop(def_, "auto.offset.reset", "earliest")},
                        {"enable.auto.offset.store", "false"},
                        {"enable.partition.eof", table_ ? "true" : "false"}}));
    checkpointed_ = ctx.checkpoints;
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
      static_cast<KafkaSource*>(opaque)->errors_.Report(static_cast<rd_kafka_resp_err_t>(err),
                                                        reason ? reason : "");
    });
    // Partitions start where the checkpoint had read them, whatever the group committed.
    if (checkpointed_ && !table_) rd_kafka_conf_set_rebalance_cb(conf, &KafkaSource::OnRebalance);
    char err[512];
    KafkaHandle rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err));
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      return Status::IoError(Named(def_) + ": kafka consumer: " + err);
    }
    rd_kafka_poll_set_consumer(rk.get());
    RETURN_IF_ERROR(CheckBrokers(rk.get(), def_));
    RETURN_IF_ERROR(WaitForTopic(rk.get(), topic, ctx));
    if (table_) {
      RETURN_IF_ERROR(AssignWholeTopic(rk.get(), topic));
    } else {
      rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
      rd_kafka_resp_err_t e = rd_kafka_subscribe(rk.get(), topics);
      rd_kafka_topic_partition_list_destroy(topics);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::IoError(Named(def_) + ": cannot subscribe to '" + topic +
                               "': " + rd_kafka_err2str(e));
    }
    Batch batch(def_.schema);
    std::vector<rd_kafka_message_t*> taken;
    // Messages of emitted batches not processed all the way yet: their offsets wait (at least
    // once, also behind an @Async stream).
    std::deque<std::pair<uint64_t, std::vector<rd_kafka_message_t*>>> unacked;
    uint64_t emitted = 0;
    auto store_processed = [&] {
      if (checkpointed_ && !table_) return CommitCheckpointed(rk.get());
      if (table_) return;  // no group: a table holds its positions only in checkpoints
      uint64_t done = ctx.processed_through ? ctx.processed_through() : emitted;
      while (!unacked.empty() && unacked.front().first <= done) {
        for (rd_kafka_message_t* t : unacked.front().second) {
          rd_kafka_offset_store(t->rkt, t->partition, t->offset);
          rd_kafka_message_destroy(t);
        }
        unacked.pop_front();
      }
    };
    Status result;
    while (!ctx.stopping() && result.ok()) {
      // Up to a batch of messages, waiting at most 100 ms for the first.
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
      while (m) {
        if (m->err) {
          // A consumer error (brokers down, a topic that went away), not a bad record: reported,
          // not counted as malformed; librdkafka retries on its own.
          if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end_.insert(m->partition);
          } else {
            errors_.Report(m->err, rd_kafka_message_errstr(m));
          }
          rd_kafka_message_destroy(m);
        } else {
          Decode(m, &batch, ctx);
          progress_.records.fetch_add(1, std::memory_order_relaxed);
          progress_.bytes.fetch_add(m->len, std::memory_order_relaxed);
          next_[m->partition] = m->offset + 1;
          taken.push_back(m);
        }
        if (batch.num_rows() >= 1024) break;
        m = rd_kafka_consumer_poll(rk.get(), 0);
      }
      if (batch.num_rows() > 0) {
        result = ctx.emit(batch, checkpointed_ ? Position() : std::string());
        ++emitted;
        batch.Clear();
      }
      // Loaded once every partition reached its end offset of the start (or said it is at its
      // end: transaction markers may keep a consumer short of that offset), with what came
      // before handed on.
      if (table_ && result.ok() && !progress_.caught_up.load() &&
          ((partitions_ > 0 && at_end_.size() >= partitions_) || ReachedEnds()))
        progress_.caught_up.store(true);
      if (table_) {  // no group: nothing to store
        for (rd_kafka_message_t* t : taken) rd_kafka_message_destroy(t);
        taken.clear();
      }
      if (!taken.empty()) {
        // Records that emitted nothing (all malformed) are done once what came before is. Under
        // checkpoints the position is what counts: the messages are done with.
        if (result.ok() && !checkpointed_) {
          unacked.emplace_back(emitted, taken);
        } else {
          for (rd_kafka_message_t* t : taken) rd_kafka_message_destroy(t);
        }
        taken.clear();
      }
      store_processed();
    }
    // What was not processed is read again after a restart.
    for (auto& [seq, messages] : unacked)
      for (rd_kafka_message_t* t : messages) rd_kafka_message_destroy(t);
    rd_kafka_consumer_close(rk.get());
    return result;
  }

 private:
  static bool ParsePosition(std::string_view text, std::map<int32_t, int64_t>* out) {
    out->clear();
    std::string s(text);
    size_t start = 0;
    while (start < s.size()) {
      size_t comma = s.find(',', start);
      std::string item =
          s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      int partition = -1;
      long long offset = -1;
      if (std::sscanf(item.c_str(), "%d=%lld", &partition, &offset) != 2 || partition < 0 ||
          offset < 0)
        return false;
      (*out)[partition] = offset;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return true;
  }

  std::string Position() const {
    std::string p;
    for (const auto& [partition, offset] : next_)
      p += (p.empty() ? "" : ",") + std::to_string(partition) + "=" + std::to_string(offset);
    return p;
  }

  // On the consumer's thread: commits the offsets of the newest complete checkpoint to the group
  // (for monitoring tools; a restart resumes from the checkpoint).
  void CommitCheckpointed(rd_kafka_t* rk) {
    std::map<int32_t, int64_t> offsets;
    {
      std::lock_guard<std::mutex> lock(commit_mu_);
      offsets.swap(to_commit_);
    }
    if (offsets.empty()) return;
    std::string topic = Prop(def_, "topic", def_.name);
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& [partition, offset] : offsets)
      rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
    rd_kafka_commit(rk, list, /*async=*/1);
    rd_kafka_topic_partition_list_destroy(list);
  }

  // A resumed source's partitions start at the checkpoint's offsets; partitions it had not read
  // start as the group says (its committed offset, else auto.offset.reset).
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      // Resumed, a partition the checkpoint had not read starts at the beginning (or the end,
      // with auto.offset.reset=latest), not at the group's offset: that may be ahead of the state.
      bool latest = Prop(self->def_, "auto.offset.reset", "earliest") == "latest";
      for (int i = 0; i < partitions->cnt; ++i) {
        auto it = self->next_.find(partitions->elems[i].partition);
        if (it != self->next_.end())
          partitions->elems[i].offset = it->second;
        else if (self->resumed_)
          partitions->elems[i].offset = latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, partitions))
          rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, partitions);
      }
    } else {
      // Revoked: another member reads them now; this source's position no longer has them.
      for (int i = 0; i < partitions->cnt; ++i) self->next_.erase(partitions->elems[i].partition);
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, partitions))
          rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, nullptr);
      }
    }
  }

  // A table's source: every partition of the topic, from the beginning or the checkpoint's offset.
  Status AssignWholeTopic(rd_kafka_t* rk, const std::string& topic) {
    const rd_kafka_metadata_t* md = nullptr;
    KafkaTopic t(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
    int64_t timeout = DurationMs(Prop(def_, "connect.timeout", ""), 30'000);
    if (timeout <= 0) timeout = 30'000;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t.get(), &md, static_cast<int>(timeout));
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Status::IoError("table '" + def_.name +
                             "': cannot read the partitions of kafka topic '" + topic +
                             "': " + rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    std::string missing;
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (md->topics[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        missing = rd_kafka_err2str(md->topics[i].err);
        continue;
      }
      for (int p = 0; p < md->topics[i].partition_cnt; ++p) {
        int32_t id = md->topics[i].partitions[p].id;
        auto it = next_.find(id);
        rd_kafka_topic_partition_list_add(list, topic.c_str(), id)->offset =
            it != next_.end() ? it->second : RD_KAFKA_OFFSET_BEGINNING;
      }
    }
    rd_kafka_metadata_destroy(md);
    partitions_ = static_cast<size_t>(list->cnt);
    if (list->cnt == 0) {
      rd_kafka_topic_partition_list_destroy(list);
      return Status::IoError("table '" + def_.name + "': kafka topic '" + topic +
                             "' has no partitions" + (missing.empty() ? "" : ": " + missing) +
                             " (create it, or wait for it with 'topic.wait.timeout')");
    }
    // Where each partition ends now: the load is what comes before.
    for (int i = 0; i < list->cnt; ++i) {
      int64_t low = 0, high = 0;
      int32_t id = list->elems[i].partition;
      rd_kafka_resp_err_t w = rd_kafka_query_watermark_offsets(rk, topic.c_str(), id, &low, &high,
                                                               static_cast<int>(timeout));
      if (w != RD_KAFKA_RESP_ERR_NO_ERROR) {
        Log(LogLevel::kWarn, Named(def_) + ": the end offset of kafka topic '" + topic + "' [" +
                                 std::to_string(id) + "] is unknown (" + rd_kafka_err2str(w) +
                                 "): the load ends when every partition says it is at its end");
        ends_.clear();
        break;
      }
      ends_[id] = {low, high};
    }
    e = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Status::IoError("table '" + def_.name + "': cannot read kafka topic '" + topic +
                             "': " + rd_kafka_err2str(e));
    return Status::OK();
  }

  // Whether every partition was read up to where it ended when the source started.
  bool ReachedEnds() const {
    if (ends_.empty()) return false;
    for (const auto& [partition, range] : ends_) {
      auto it = next_.find(partition);
      int64_t at = it != next_.end() ? it->second : range.first;
      if (at < range.second) return false;
    }
    return true;
  }

  Status WaitForTopic(rd_kafka_t* rk, const std::string& topic, SourceContext& ctx) {
    int64_t timeout = DurationMs(Prop(def_, "topic.wait.timeout", ""), 0);
    int64_t retry = DurationMs(Prop(def_, "topic.retry.interval", ""), 1000);
    if (timeout <= 0) return Status::OK();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout);
    while (!ctx.stopping()) {
      const rd_kafka_metadata_t* md = nullptr;
      bool found = false;
      if (rd_kafka_metadata(rk, 1, nullptr, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < md->topic_cnt; ++i)
          found = found || (topic == md->topics[i].topic && md->topics[i].err == 0);
        rd_kafka_metadata_destroy(md);
      }
      if (found) return Status::OK();
      if (std::chrono::steady_clock::now() >= deadline)
        return Status::IoError(Named(def_) + ": kafka topic '" + topic +
                               "' did not appear within " + std::to_string(timeout) + " ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(retry));
    }
    return Status::OK();
  }

  void Decode(const rd_kafka_message_t* m, Batch* batch, SourceContext& ctx) {
    std::string_view value(static_cast<const char*>(m->payload), m->len);
    size_t row = batch->AddRow(ctx.clock->NowMillis());
    Status st;
    if (table_ && !m->payload) {
      st = Tombstone(m, batch, row);
    } else if (csv_) {
      if (!SplitCsv(value, ',', &fields_)) {
        st = Status::InvalidArgument("unterminated quote");
      } else {
        st = DecodeCsvFields(fields_, columns_, def_.schema, batch, row);
      }
    } else {
      st = json_.Decode(value, batch, row);
    }
    if (st.ok() && m->payload) SetMetadata(m, batch, row);
    std::string problem;
    if (st.ok() && m->payload && !exec::AcceptSourceRow(def_, batch, row, &problem))
      st = Status::InvalidArgument(problem);
    if (st.ok() && def_.event_time.from_record) {
      rd_kafka_timestamp_type_t type;
      int64_t ts = rd_kafka_message_timestamp(m, &type);
      if (ts < 0) {
        st = Status::InvalidArgument("the record has no timestamp ('event.time.source'='kafka')");
      } else {
        batch->timestamps()[row] = ts;
      }
    }
    if (!st.ok()) {
      batch->Resize(row);
      ctx.malformed("kafka " + std::string(rd_kafka_topic_name(m->rkt)) + "[" +
                        std::to_string(m->partition) + "]@" + std::to_string(m->offset),
                    st.message());
    }
  }

  // A table's tombstone: a delete of the row whose key is the message's key.
  Status Tombstone(const rd_kafka_message_t* m, Batch* batch, size_t row) {
    if (!m->key) return Status::InvalidArgument("a tombstone (null value) without a key");
    if (tombstone_key_ < 0)
      return Status::InvalidArgument(
          "a tombstone (null value) cannot say which row to delete: the table's key has several "
          "attributes and a message key gives one (the row stays)");
    fields_.assign(1, std::string(static_cast<const char*>(m->key), m->key_len));
    RETURN_IF_ERROR(DecodeCsvFields(fields_, {tombstone_key_}, def_.schema, batch, row));
    batch->SetKind(row, ChangeKind::kDelete);
    return Status::OK();
  }

  // The record's key, partition, offset and timestamp into the attributes that ask for them
  // (before the event time is read: 'timestamp.field' may be the event-time attribute).
  void SetMetadata(const rd_kafka_message_t* m, Batch* batch, size_t row) {
    if (key_field_ >= 0) {
      if (m->key) {
        batch->SetString(row, key_field_,
                         std::string_view(static_cast<const char*>(m->key), m->key_len));
      } else {
        batch->column(key_field_).SetNull(row);
      }
    }
    if (partition_field_ >= 0) batch->column(partition_field_).SetInt(row, m->partition);
    if (offset_field_ >= 0) batch->column(offset_field_).SetInt(row, m->offset);
    if (timestamp_field_ >= 0) {
      rd_kafka_timestamp_type_t type;
      int64_t ts = rd_kafka_message_timestamp(m, &type);
      if (ts >= 0) {
        batch->column(timestamp_field_).SetInt(row, ts);
      } else {
        batch->column(timestamp_field_).SetNull(row);
      }
    }
  }

  const plan::StreamDef& def_;
  // The attributes that receive each record's key, partition, offset and timestamp; -1: none.
  int key_field_ = -1, partition_field_ = -1, offset_field_ = -1, timestamp_field_ = -1;
  JsonRowDecoder json_;
  bool csv_ = false;
  std::vector<std::string> fields_;
  std::vector<int> columns_;
  bool checkpointed_ = false;
  bool resumed_ = false;  // from a checkpoint: partitions it had not read start afresh
  bool table_ = false;    // a table's source: the whole topic, as a changelog
  int tombstone_key_ = -1;
  size_t partitions_ = 0;     // a table's: how many the topic has
  std::set<int32_t> at_end_;  // a table's: the partitions that reached their end
  std::map<int32_t, std::pair<int64_t, int64_t>> ends_;  // a table's: low, high offsets at start
  BrokerErrors errors_;
  // Each partition's next offset: read so far (then the position), or to resume at. Used on the
  // consumer's thread only (the rebalance callback runs there, inside its poll).
  std::map<int32_t, int64_t> next_;
  std::mutex commit_mu_;
  std::map<int32_t, int64_t> to_commit_;  // from the newest complete checkpoint
};

class KafkaSink final : public StagedSink {
 public:
  KafkaSink(const plan::StreamDef& def, bool changelog)
      : def_(def), format_(SinkFormatOf(def, changelog)) {
    topic_ = Prop(def, "topic", def.name);
    key_field_ = def.schema.IndexOf(Prop(def, "key.field", ""));
  }
  ~KafkaSink() override { Close(); }
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  std::string where() const override { return "topic " + topic_; }

  Status Open() {
    ASSIGN_OR_RETURN(
        rd_kafka_conf_t * conf,
        MakeConf(def_, {{"bootstrap.servers", Prop(def_, "bootstrap.servers", "localhost:9092")}}));
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::OnDelivery);
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
      static_cast<KafkaSink*>(opaque)->errors_.Report(static_cast<rd_kafka_resp_err_t>(err),
                                                      reason ? reason : "");
    });
    char err[512];
    rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      return Status::IoError(Named(def_) + ": kafka producer: " + err);
    }
    return CheckBrokers(rk_.get(), def_);
  }

 private:
  // With 'key.field', a message is its key's length (4 bytes), the key, a tombstone flag and the
  // value; an upsert topic holds each key's latest row, as Flink's upsert-kafka: the row an
  // update replaces needs no message, and a delete is a tombstone (the key with no value).
  bool Encode(const Batch& batch, size_t row, std::string* out) override {
    ChangeKind kind = batch.kind(row);
    bool tombstone = false;
    if (key_field_ >= 0) {
      if (kind == ChangeKind::kUpdateBefore) return false;
      tombstone = kind == ChangeKind::kDelete;
      size_t at = out->size();
      uint32_t n = 0;
      out->append(sizeof n, '\0');
      AppendFieldText(out, batch.column(key_field_), row);
      n = static_cast<uint32_t>(out->size() - at - sizeof n);
      std::memcpy(out->data() + at, &n, sizeof n);
      out->push_back(tombstone ? 1 : 0);
    }
    if (tombstone) return true;
    size_t start = out->size();
    AppendSinkRow(format_, def_.schema, batch, row, out);
    if (out->size() > start && out->back() == '\n') out->pop_back();  // a message, not a line
    return true;
  }

  // Produces each message; a full local queue is backpressure: it waits for deliveries here,
  // where no operator lock is held.
  Status Write(std::string_view bytes, const std::vector<uint32_t>& ends) override {
    if (!rk_) return Status::OK();
    uint32_t from = 0;
    for (size_t i = 0; i < ends.size(); ++i) {
      std::string_view message = bytes.substr(from, ends[i] - from);
      std::string_view key;
      bool tombstone = false;
      if (key_field_ >= 0) {
        uint32_t n;
        std::memcpy(&n, message.data(), sizeof n);
        key = message.substr(sizeof n, n);
        tombstone = message[sizeof n + n] != 0;
        message.remove_prefix(sizeof n + n + 1);
      }
      void* key_ptr = key_field_ >= 0 ? const_cast<char*>(key.data()) : nullptr;
      void* value_ptr = tombstone ? nullptr : const_cast<char*>(message.data());
      size_t value_len = tombstone ? 0 : message.size();
      for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_KEY(key_ptr, key.size()),
            RD_KAFKA_V_VALUE(value_ptr, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          if (GivenUp())
            return Status::IoError(Named(def_) + ": kafka topic '" + topic_ +
                                   "': the broker took nothing before the shutdown timeout");
          rd_kafka_poll(rk_.get(), 100);
          continue;
        }
        return Status::IoError(Named(def_) + ": kafka topic '" + topic_ +
                               "': cannot produce: " + rd_kafka_err2str(e));
      }
      from = ends[i];
    }
    rd_kafka_poll(rk_.get(), 0);
    return Status::OK();
  }

  // At a checkpoint: what came before it is delivered (at least once: the broker cannot take
  // back what was delivered after it).
  Result<std::string> CommitOutput() override {
    if (!rk_) return std::string();
    auto wait = TimeLeft(std::chrono::milliseconds(10'000));
    rd_kafka_flush(rk_.get(), static_cast<int>(wait.count()));
    if (int left = rd_kafka_outq_len(rk_.get()); left > 0)
      return Status::IoError(Named(def_) + ": kafka topic '" + topic_ +
                             "': " + std::to_string(left) + " event(s) were not delivered within " +
                             std::to_string(wait.count()) + " ms of a checkpoint");
    return std::string();
  }

  Status CloseOutput() override {
    if (!rk_) return Status::OK();
    auto wait = TimeLeft(std::chrono::milliseconds(10'000));
    rd_kafka_flush(rk_.get(), static_cast<int>(wait.count()));
    int left = rd_kafka_outq_len(rk_.get());
    rk_.reset();
    if (left > 0)
      return Status::IoError(Named(def_) + ": kafka topic '" + topic_ +
                             "': " + std::to_string(left) + " event(s) were not delivered within " +
                             std::to_string(wait.count()) + " ms of shutdown");
    return Status::OK();
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (!m->err) return;
    auto* sink = static_cast<KafkaSink*>(opaque);
    sink->Fail(Status::IoError(Named(sink->def_) + ": kafka topic '" + sink->topic_ +
                               "': delivery failed: " + rd_kafka_err2str(m->err) +
                               "; the event was lost"));
  }

  const plan::StreamDef& def_;
  SinkFormat format_;
  std::string topic_;
  int key_field_ = -1;  // 'key.field': the attribute whose text is each message's key
  BrokerErrors errors_{Named(def_), Prop(def_, "bootstrap.servers", "localhost:9092"), topic_};
  KafkaHandle rk_;  // produced to under the write lock only (StagedSink); goes first
};

}  // namespace

Result<std::unique_ptr<Source>> MakeKafkaSource(const plan::StreamDef& def) {
  return std::unique_ptr<Source>(new KafkaSource(def));
}

Result<std::unique_ptr<Sink>> MakeKafkaSink(const plan::StreamDef& def, const SinkOpen& open) {
  auto sink = std::make_unique<KafkaSink>(def, open.changelog);
  RETURN_IF_ERROR(sink->Open());
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace sluice::connectors
