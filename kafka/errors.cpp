#include "kafka/errors.hpp"

#include <librdkafka/rdkafka.h>

#include <string>

namespace ks::kafka {

// ErrorCode is librdkafka's numbering: a code crosses the layer as it is.
static_assert(static_cast<int>(ErrorCode::no_error) == RD_KAFKA_RESP_ERR_NO_ERROR);
static_assert(static_cast<int>(ErrorCode::unknown_topic_or_part) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
static_assert(static_cast<int>(ErrorCode::leader_not_available) == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
static_assert(static_cast<int>(ErrorCode::not_leader_for_partition) == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
static_assert(static_cast<int>(ErrorCode::request_timed_out) == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
static_assert(static_cast<int>(ErrorCode::coordinator_load_in_progress) == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
static_assert(static_cast<int>(ErrorCode::coordinator_not_available) == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
static_assert(static_cast<int>(ErrorCode::not_coordinator) == RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
static_assert(static_cast<int>(ErrorCode::illegal_generation) == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
static_assert(static_cast<int>(ErrorCode::unknown_member_id) == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
static_assert(static_cast<int>(ErrorCode::rebalance_in_progress) == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
static_assert(static_cast<int>(ErrorCode::topic_authorization_failed) == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
static_assert(static_cast<int>(ErrorCode::group_authorization_failed) == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
static_assert(static_cast<int>(ErrorCode::cluster_authorization_failed) == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
static_assert(static_cast<int>(ErrorCode::topic_already_exists) == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
static_assert(static_cast<int>(ErrorCode::group_id_not_found) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND);
static_assert(static_cast<int>(ErrorCode::local_destroy) == RD_KAFKA_RESP_ERR__DESTROY);
static_assert(static_cast<int>(ErrorCode::local_transport) == RD_KAFKA_RESP_ERR__TRANSPORT);
static_assert(static_cast<int>(ErrorCode::local_resolve) == RD_KAFKA_RESP_ERR__RESOLVE);
static_assert(static_cast<int>(ErrorCode::local_msg_timed_out) == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
static_assert(static_cast<int>(ErrorCode::local_partition_eof) == RD_KAFKA_RESP_ERR__PARTITION_EOF);
static_assert(static_cast<int>(ErrorCode::local_unknown_partition) == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION);
static_assert(static_cast<int>(ErrorCode::local_unknown_topic) == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC);
static_assert(static_cast<int>(ErrorCode::local_all_brokers_down) == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
static_assert(static_cast<int>(ErrorCode::local_invalid_arg) == RD_KAFKA_RESP_ERR__INVALID_ARG);
static_assert(static_cast<int>(ErrorCode::local_timed_out) == RD_KAFKA_RESP_ERR__TIMED_OUT);
static_assert(static_cast<int>(ErrorCode::local_queue_full) == RD_KAFKA_RESP_ERR__QUEUE_FULL);
static_assert(static_cast<int>(ErrorCode::local_ssl) == RD_KAFKA_RESP_ERR__SSL);
static_assert(static_cast<int>(ErrorCode::local_assign_partitions) == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS);
static_assert(static_cast<int>(ErrorCode::local_revoke_partitions) == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS);
static_assert(static_cast<int>(ErrorCode::local_authentication) == RD_KAFKA_RESP_ERR__AUTHENTICATION);
static_assert(static_cast<int>(ErrorCode::local_no_offset) == RD_KAFKA_RESP_ERR__NO_OFFSET);
static_assert(static_cast<int>(ErrorCode::local_timed_out_queue) == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE);
static_assert(static_cast<int>(ErrorCode::local_interrupted) == RD_KAFKA_RESP_ERR__INTR);
static_assert(static_cast<int>(ErrorCode::local_fatal) == RD_KAFKA_RESP_ERR__FATAL);
static_assert(static_cast<int>(ErrorCode::local_unknown_group) == RD_KAFKA_RESP_ERR__UNKNOWN_GROUP);
static_assert(static_cast<int>(ErrorCode::local_purge_queue) == RD_KAFKA_RESP_ERR__PURGE_QUEUE);
static_assert(static_cast<int>(ErrorCode::local_purge_inflight) == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT);

std::string error_name(ErrorCode code) {
  const auto err = static_cast<rd_kafka_resp_err_t>(raw(code));
  return std::string(rd_kafka_err2str(err)) + " (" + rd_kafka_err2name(err) + ")";
}

bool retriable(ErrorCode code) {
  switch (code) {
    case ErrorCode::leader_not_available:
    case ErrorCode::not_leader_for_partition:
    case ErrorCode::request_timed_out:
    case ErrorCode::coordinator_load_in_progress:
    case ErrorCode::coordinator_not_available:
    case ErrorCode::not_coordinator:
    case ErrorCode::rebalance_in_progress:
    case ErrorCode::local_transport:
    case ErrorCode::local_resolve:
    case ErrorCode::local_msg_timed_out:
    case ErrorCode::local_all_brokers_down:
    case ErrorCode::local_timed_out:
    case ErrorCode::local_queue_full:
    case ErrorCode::local_timed_out_queue:
    case ErrorCode::local_purge_queue:
    case ErrorCode::local_purge_inflight:
      return true;
    default:
      return false;
  }
}

std::string error_code_name(ErrorCode code) {
  return rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(raw(code)));
}

}  // namespace ks::kafka
