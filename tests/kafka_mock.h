// librdkafka's mock cluster for the end-to-end tests: the real Kafka protocol on loopback, held by
// the test's process so that it outlives the app under test (topics and committed offsets
// survive the app's death). One broker; topics, a producer, and teardown in the destructor.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::testing {

class MockKafka {
 public:
  MockKafka() {
    char err[512];
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    if (host_) cluster_ = rd_kafka_mock_cluster_new(host_, 1);
    if (cluster_) bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockKafka() {
    if (producer_) rd_kafka_destroy(producer_);
    if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
    if (host_) rd_kafka_destroy(host_);
  }
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  bool ok() const { return cluster_ != nullptr; }
  const std::string& bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

  bool CreateTopic(const char* topic, int partitions = 1) {
    return rd_kafka_mock_topic_create(cluster_, topic, partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  // Queues `value` for `topic` (Flush delivers it), with `key` (none when null) and the record
  // timestamp `ts` (ms; 0: the producer's clock).
  bool Produce(const char* topic, const std::string& value, const std::string* key = nullptr,
               int64_t ts = 0) {
    if (!MakeProducer()) return false;
    void* key_ptr = key ? const_cast<char*>(key->data()) : nullptr;
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          producer_, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key_ptr, key ? key->size() : 0),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_TIMESTAMP(ts),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) return e == RD_KAFKA_RESP_ERR_NO_ERROR;
      rd_kafka_poll(producer_, 10);  // a full local queue: let deliveries make room
    }
  }
  // Queues a tombstone (a null value) for `key`.
  bool ProduceTombstone(const char* topic, const std::string& key) {
    if (!MakeProducer()) return false;
    return rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                             RD_KAFKA_V_VALUE(nullptr, 0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  bool MakeProducer() {
    if (producer_) return true;
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    return producer_ != nullptr;
  }
  bool Flush() {
    return !producer_ || rd_kafka_flush(producer_, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  // A message read back: its key (absent: no key) and its value (a tombstone has none).
  struct Message {
    bool has_key = false;
    std::string key;
    bool tombstone = false;
    std::string value;
  };
  // Reads `topic` from the start, until `count` messages came or 30 s passed.
  std::vector<Message> Consume(const char* topic, size_t count) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", ("reader-" + std::string(topic)).c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    std::vector<Message> got;
    if (!consumer) return got;
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 200);
      if (!m) continue;
      if (!m->err) {
        Message msg;
        msg.has_key = m->key != nullptr;
        if (m->key) msg.key.assign(static_cast<const char*>(m->key), m->key_len);
        msg.tombstone = m->payload == nullptr;
        if (m->payload) msg.value.assign(static_cast<const char*>(m->payload), m->len);
        got.push_back(std::move(msg));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return got;
  }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  rd_kafka_t* producer_ = nullptr;
  std::string bootstraps_;
};

}  // namespace sluice::testing
