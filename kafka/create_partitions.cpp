#include "kafka/create_partitions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"

namespace ks::kafka {
namespace {

using Clock = std::chrono::steady_clock;

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
  GrowthResult result;
  result.error = detail::code(rd_kafka_event_error(event));
  if (failed(result.error)) {
    const char* text = rd_kafka_event_error_string(event);
    result.message = text ? text : error_name(result.error);
    return result;
  }
  std::size_t count = 0;
  const auto* answer = rd_kafka_event_CreatePartitions_result(event);
  const rd_kafka_topic_result_t** topics =
      answer ? rd_kafka_CreatePartitions_result_topics(answer, &count) : nullptr;
  if (count > 0) {
    result.error = detail::code(rd_kafka_topic_result_error(topics[0]));
    const char* text = rd_kafka_topic_result_error_string(topics[0]);
    result.message = text ? text : (failed(result.error) ? error_name(result.error) : "");
  }
  return result;
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
  EventPtr event;
  while (!event) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(options.deadline - Clock::now());
    if (left.count() <= 0 || (options.give_up && options.give_up())) break;
    event.reset(rd_kafka_queue_poll(queue.get(), static_cast<int>(std::min<std::int64_t>(left.count(), 200))));
  }
  if (!event) return {ErrorCode::local_timed_out, "no answer"};
  return read_result(event.get());
}

}  // namespace ks::kafka
