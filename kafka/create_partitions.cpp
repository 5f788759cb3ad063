#include "kafka/create_partitions.hpp"

#include <fmt/format.h>

#include <array>
#include <memory>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"
#include "kafka/detail/topic_answers.hpp"

namespace ks::kafka {
namespace {

struct NewPartitionsDeleter {
  void operator()(rd_kafka_NewPartitions_t* p) const { rd_kafka_NewPartitions_destroy(p); }
};
using NewPartitionsPtr = std::unique_ptr<rd_kafka_NewPartitions_t, NewPartitionsDeleter>;

NewPartitionsPtr new_partitions(const PartitionGrowth& growth) {
  std::array<char, 512> error{};
  NewPartitionsPtr spec(rd_kafka_NewPartitions_new(growth.topic.c_str(),
                                                   static_cast<std::size_t>(growth.total_partitions),
                                                   error.data(), error.size()));
  if (!spec) throw InvalidNewTopic(fmt::format("topic {}: {}", growth.topic, error.data()), error.data());
  for (std::size_t i = 0; i < growth.new_replicas.size(); ++i) {
    std::vector<std::int32_t> replicas = growth.new_replicas[i];
    if (rd_kafka_NewPartitions_set_replica_assignment(spec.get(), static_cast<std::int32_t>(i),
                                                      replicas.data(), replicas.size(),
                                                      error.data(), error.size())) {
      throw InvalidNewTopic(fmt::format("topic {} new partition {}: {}", growth.topic, i, error.data()),
                            error.data());
    }
  }
  return spec;
}

GrowthResult read_result(rd_kafka_event_t* event) {
  const detail::TopicAnswers answers = detail::read_topic_answers(event);
  if (failed(answers.error) || answers.topics.empty()) return {answers.error, answers.message};
  const detail::TopicAnswer& topic = answers.topics.front();
  return {topic.error, topic.message.empty() && failed(topic.error) ? error_name(topic.error)
                                                                     : topic.message};
}

}  // namespace

GrowthResult create_partitions(const Client& client, const PartitionGrowth& growth,
                               const CreateTopicsOptions& options) {
  NewPartitionsPtr spec = new_partitions(growth);
  rd_kafka_NewPartitions_t* raw = spec.get();
  AdminOptionsPtr admin(rd_kafka_AdminOptions_new(native(client), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS));
  std::array<char, 256> error{};
  rd_kafka_AdminOptions_set_request_timeout(
      admin.get(), static_cast<int>(options.request_timeout.count()), error.data(), error.size());
  const QueuePtr queue(rd_kafka_queue_new(native(client)));
  rd_kafka_CreatePartitions(native(client), &raw, 1, admin.get(), queue.get());
  const EventPtr event = detail::wait_for_answer(queue.get(), options);
  if (!event) return {ErrorCode::local_timed_out, "no answer"};
  return read_result(event.get());
}

}  // namespace ks::kafka
