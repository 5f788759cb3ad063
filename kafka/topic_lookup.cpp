#include "kafka/topic_lookup.hpp"

#include <memory>

#include "kafka/client.hpp"
#include "kafka/metadata.hpp"

namespace ks::kafka {
namespace {

TopicInfo topic_info(const TopicMetadata& t) {
  TopicInfo info{t.name, t.error, {}};
  for (const PartitionMetadata& p : t.partitions) info.partitions.push_back({p.id, p.leader});
  return info;
}

}  // namespace

// Both through kafka/metadata.hpp: one metadata request, its waits and errors as there.
TopicInfo lookup_topic(const Client& client, const std::string& topic,
                       std::chrono::milliseconds timeout) {
  const ClusterMetadata md = fetch_topic_metadata(client, topic, timeout, {});
  if (md.topics.size() != 1) return TopicInfo{topic, ErrorCode::unknown_topic_or_part, {}};
  return topic_info(md.topics[0]);
}

std::vector<TopicInfo> lookup_all_topics(const Client& client, std::chrono::milliseconds timeout) {
  const ClusterMetadata md = fetch_metadata(client, timeout, {});
  std::vector<TopicInfo> topics;
  for (const TopicMetadata& t : md.topics) topics.push_back(topic_info(t));
  return topics;
}

}  // namespace ks::kafka
