// Inside the Kafka layer only (includes librdkafka): conversions between librdkafka's C
// types and the layer's plain values, and the log policies of kafka/library_logs.hpp.
#pragma once

#include <librdkafka/rdkafka.h>

#include <functional>
#include <string>
#include <vector>

#include "kafka/errors.hpp"
#include "kafka/detail/handles.hpp"
#include "kafka/detail/native.hpp"
#include "kafka/library_logs.hpp"
#include "kafka/topic_partition.hpp"

namespace ks::kafka::detail {

inline ErrorCode code(rd_kafka_resp_err_t err) { return error_code(static_cast<int>(err)); }
inline rd_kafka_resp_err_t native(ErrorCode code) {
  return static_cast<rd_kafka_resp_err_t>(raw(code));
}

std::vector<TopicPartition> to_partitions(const rd_kafka_topic_partition_list_t* list);
PartitionListPtr to_list(const std::vector<TopicPartition>& partitions);

// make_client's `configure` step for a policy other than LibraryLogs::agent (which is
// make_client's own): replaces the log and error callbacks. `name` prefixes the lines.
std::function<void(rd_kafka_conf_t*)> log_policy(LibraryLogs logs);

}  // namespace ks::kafka::detail
