#include "kafka/topic_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"
#include "kafka/topic_lookup.hpp"

namespace ks::kafka {
namespace {

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

std::map<std::string, std::string> reader_properties(const TopicReaderSettings& settings) {
  std::map<std::string, std::string> properties{
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"allow.auto.create.topics", "false"},
  };
  if (!settings.client_id.empty()) properties["client.id"] = settings.client_id;
  if (!settings.group_id.empty()) properties["group.id"] = settings.group_id;
  for (const auto& [key, value] : settings.properties) properties[key] = value;
  return properties;
}

std::vector<std::int32_t> partitions_of(const Client& client, const TopicReaderSettings& settings,
                                        const KafkaConfig& kafka) {
  TopicInfo info;
  try {
    info = lookup_topic(client, settings.topic, settings.timeout);
  } catch (const KafkaError& e) {
    throw TopicReadError(TopicReadError::Kind::unreachable, e.code,
                         fmt::format("cannot reach Kafka at {}: {}", kafka.bootstrap_servers,
                                     rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(raw(e.code)))));
  }
  if (failed(info.error)) {
    throw TopicReadError(TopicReadError::Kind::no_topic, info.error,
                         fmt::format("topic {}: {}", settings.topic,
                                     rd_kafka_err2str(detail::native(info.error))));
  }
  std::vector<std::int32_t> ids;
  for (const auto& p : info.partitions) ids.push_back(p.id);
  return ids;
}

// Where each partition starts: the beginning, or the offset of the first message at or
// after `since_ms` (librdkafka answers "the end" where there is none).
PartitionListPtr start_offsets(const Client& client, const TopicReaderSettings& settings,
                               const std::vector<std::int32_t>& partitions) {
  PartitionListPtr list = new_partition_list(static_cast<int>(partitions.size()));
  for (const std::int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), settings.topic.c_str(), p)->offset =
        settings.since_ms ? *settings.since_ms : RD_KAFKA_OFFSET_BEGINNING;
  }
  if (!settings.since_ms || partitions.empty()) return list;
  const auto err = rd_kafka_offsets_for_times(native(client), list.get(),
                                              static_cast<int>(settings.timeout.count()));
  const auto partition_err = detail::code(err) == ErrorCode::no_error
                                 ? first_error(detail::to_partitions(list.get()))
                                 : detail::code(err);
  if (failed(partition_err)) {
    throw TopicReadError(TopicReadError::Kind::read, partition_err,
                         fmt::format("cannot look up offsets of {}: {}", settings.topic,
                                     error_name(partition_err)));
  }
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].offset < 0) list->elems[i].offset = RD_KAFKA_OFFSET_END;
  }
  return list;
}

}  // namespace

struct TopicReader::State {
  Client client;
  std::map<std::int32_t, bool> at_end;
  ~State() {
    if (!client) return;
    rd_kafka_assign(native(client), nullptr);
    rd_kafka_consumer_close(native(client));
  }
};

TopicReader::TopicReader(const KafkaConfig& kafka, TopicReaderSettings settings)
    : state_(std::make_unique<State>()) {
  try {
    state_->client = make_client(kafka, RD_KAFKA_CONSUMER, reader_properties(settings),
                                 settings.name, detail::log_policy(settings.logs));
  } catch (const KafkaError& e) {
    throw TopicReadError(TopicReadError::Kind::config, e.code, e.what());
  }
  const auto partitions = partitions_of(state_->client, settings, kafka);
  const PartitionListPtr list = start_offsets(state_->client, settings, partitions);
  for (const std::int32_t p : partitions) state_->at_end[p] = false;
  if (const auto e = rd_kafka_assign(native(state_->client), list.get())) {
    throw TopicReadError(TopicReadError::Kind::read, detail::code(e),
                         fmt::format("cannot read {}: {}", settings.topic, rd_kafka_err2str(e)));
  }
}

TopicReader::~TopicReader() = default;

std::optional<TopicRecord> TopicReader::poll(std::chrono::milliseconds timeout,
                                             std::string& error) {
  error.clear();
  const std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(
      rd_kafka_consumer_poll(native(state_->client), static_cast<int>(timeout.count())));
  if (!m) return std::nullopt;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    state_->at_end[m->partition] = true;
    return std::nullopt;
  }
  if (m->err) {
    error = rd_kafka_message_errstr(m.get());
    return std::nullopt;
  }
  TopicRecord r;
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_timestamp_type_t type;
  r.timestamp_ms = rd_kafka_message_timestamp(m.get(), &type);
  return r;
}

bool TopicReader::caught_up() const {
  return std::all_of(state_->at_end.begin(), state_->at_end.end(),
                     [](const auto& kv) { return kv.second; });
}

std::size_t TopicReader::partitions() const { return state_->at_end.size(); }

}  // namespace ks::kafka
