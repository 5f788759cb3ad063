#include "events/events_topic_reader.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "events/cloudevent.hpp"

namespace ks::events {
namespace {

void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

}  // namespace

struct EventsTopicReader::Handle {
  rd_kafka_t* rk = nullptr;
  ~Handle() {
    if (!rk) return;
    rd_kafka_assign(rk, nullptr);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

EventsTopicReader::EventsTopicReader(const KafkaConfig& kafka, const std::string& topic,
                                     const std::string& client_suffix)
    : handle_(std::make_unique<Handle>()) {
  std::array<char, 512> error{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw EventsTopicError(EventsTopicError::Kind::config,
                             fmt::format("{}={}: {}", name, value, error.data()));
    }
  };
  for (const auto& [key, value] : kafka.properties) set(key, value);
  set("bootstrap.servers", kafka.bootstrap_servers);
  set("client.id", kafka.client_id + "-" + client_suffix);
  // Never joined or committed (partitions are assigned), but librdkafka wants a group id.
  set("group.id", fmt::format("{}-{}-{}", kafka.client_id, client_suffix, getpid()));
  set("enable.auto.commit", "false");
  set("enable.partition.eof", "true");
  set("auto.offset.reset", "earliest");
  set("allow.auto.create.topics", "false");
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  handle_->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (!handle_->rk) {
    rd_kafka_conf_destroy(conf);
    throw EventsTopicError(EventsTopicError::Kind::config, error.data());
  }
  rd_kafka_t* rk = handle_->rk;
  const int timeout_ms = static_cast<int>(kafka.request_timeout.count());

  std::vector<std::int32_t> partitions;
  {
    const std::unique_ptr<rd_kafka_topic_t, TopicDeleter> t(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md_raw = nullptr;
    const auto e = rd_kafka_metadata(rk, 0, t.get(), &md_raw, timeout_ms);
    const std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(md_raw);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw EventsTopicError(EventsTopicError::Kind::unreachable,
                             fmt::format("cannot reach Kafka at {}: {}", kafka.bootstrap_servers,
                                         rd_kafka_err2str(e)));
    }
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw EventsTopicError(
          EventsTopicError::Kind::no_topic,
          fmt::format("topic {}: {}", topic,
                      rd_kafka_err2str(md->topic_cnt ? md->topics[0].err
                                                     : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)));
    }
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      partitions.push_back(md->topics[0].partitions[i].id);
    }
  }
  const std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const std::int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    at_end_[p] = false;
  }
  if (const auto e = rd_kafka_assign(rk, list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw EventsTopicError(EventsTopicError::Kind::read,
                           fmt::format("cannot read {}: {}", topic, rd_kafka_err2str(e)));
  }
}

EventsTopicReader::~EventsTopicReader() = default;

std::optional<TopicRecord> EventsTopicReader::poll(std::chrono::milliseconds timeout,
                                                   std::string& error) {
  error.clear();
  const std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(
      rd_kafka_consumer_poll(handle_->rk, static_cast<int>(timeout.count())));
  if (!m) return std::nullopt;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    at_end_[m->partition] = true;
    return std::nullopt;
  }
  if (m->err) {
    error = rd_kafka_message_errstr(m.get());
    return std::nullopt;
  }
  TopicRecord r;
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
  r.event = parse_cloudevent(r.value).event;
  return r;
}

bool EventsTopicReader::caught_up() const {
  return std::all_of(at_end_.begin(), at_end_.end(), [](const auto& kv) { return kv.second; });
}

std::vector<HealthEvent> read_all_events(const KafkaConfig& kafka, const std::string& topic,
                                         const std::string& client_suffix,
                                         std::chrono::steady_clock::time_point deadline) {
  EventsTopicReader reader(kafka, topic, client_suffix);
  std::vector<HealthEvent> events;
  std::string error, last_error;
  while (!reader.caught_up()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw EventsTopicError(EventsTopicError::Kind::read,
                             fmt::format("timed out reading {}{}", topic,
                                         last_error.empty() ? "" : ": " + last_error));
    }
    std::optional<TopicRecord> r = reader.poll(std::chrono::milliseconds(200), error);
    if (!error.empty()) last_error = error;
    if (r && r->event) events.push_back(std::move(*r->event));
  }
  return events;
}

}  // namespace ks::events
