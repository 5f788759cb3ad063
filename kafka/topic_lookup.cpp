#include "kafka/topic_lookup.hpp"

#include <memory>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"

namespace ks::kafka {
namespace {

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};

TopicInfo topic_info(const rd_kafka_metadata_topic_t& t) {
  TopicInfo info{t.topic ? t.topic : "", detail::code(t.err), {}};
  for (int i = 0; i < t.partition_cnt; ++i) {
    info.partitions.push_back({t.partitions[i].id, t.partitions[i].leader});
  }
  return info;
}

}  // namespace

TopicInfo lookup_topic(const Client& client, const std::string& topic,
                       std::chrono::milliseconds timeout) {
  const std::unique_ptr<rd_kafka_topic_t, TopicDeleter> handle(
      rd_kafka_topic_new(native(client), topic.c_str(), nullptr));
  if (!handle) {
    throw KafkaError(rd_kafka_last_error(), "topic " + topic + ": " +
                                                error_name(rd_kafka_last_error()));
  }
  const MetadataPtr md = fetch_native_metadata(native(client), timeout, std::stop_token{}, handle.get());
  if (md->topic_cnt != 1) return TopicInfo{topic, ErrorCode::unknown_topic_or_part, {}};
  return topic_info(md->topics[0]);
}

std::vector<TopicInfo> lookup_all_topics(const Client& client, std::chrono::milliseconds timeout) {
  const MetadataPtr md = fetch_native_metadata(native(client), timeout, std::stop_token{});
  std::vector<TopicInfo> topics;
  for (int i = 0; i < md->topic_cnt; ++i) topics.push_back(topic_info(md->topics[i]));
  return topics;
}

}  // namespace ks::kafka
