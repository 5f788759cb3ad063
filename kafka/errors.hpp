// Kafka and librdkafka error codes, as the rest of the agent sees them: the same numbers as
// librdkafka's rd_kafka_resp_err_t (kafka/errors.cpp checks each one at compile time), so a
// code passes through the layer unchanged, but callers never include librdkafka.
// Negative codes are librdkafka's own (local) errors; positive ones come from a broker.
#pragma once

#include <string>

namespace ks::kafka {

enum class ErrorCode : int {
  no_error = 0,
  // from brokers
  unknown_topic_or_part = 3,
  leader_not_available = 5,
  not_leader_for_partition = 6,
  request_timed_out = 7,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  illegal_generation = 22,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  topic_authorization_failed = 29,
  group_authorization_failed = 30,
  cluster_authorization_failed = 31,
  topic_already_exists = 36,
  group_id_not_found = 69,
  // librdkafka's own
  local_destroy = -197,
  local_transport = -195,
  local_resolve = -193,
  local_msg_timed_out = -192,
  local_partition_eof = -191,
  local_unknown_partition = -190,
  local_unknown_topic = -188,
  local_all_brokers_down = -187,
  local_invalid_arg = -186,
  local_timed_out = -185,
  local_queue_full = -184,
  local_ssl = -181,
  local_assign_partitions = -175,
  local_revoke_partitions = -174,
  local_authentication = -169,
  local_no_offset = -168,
  local_timed_out_queue = -166,
  local_interrupted = -163,  // a wait cut short by a stop request (librdkafka's _INTR)
  local_fatal = -150,
  // librdkafka's own, for the producer, topic reader and group consumer (kafka-clients)
  local_unknown_group = -179,
  local_purge_queue = -152,
  local_purge_inflight = -151,
};

// A Kafka or librdkafka error that goes away by itself (a broker or leader moving, a
// timeout, a full queue): trying again later may succeed.
bool retriable(ErrorCode code);

// Any code librdkafka may return, also those not named above.
inline ErrorCode error_code(int raw) { return static_cast<ErrorCode>(raw); }
inline int raw(ErrorCode code) { return static_cast<int>(code); }
inline bool failed(ErrorCode code) { return code != ErrorCode::no_error; }

// librdkafka's description with its name: "Local: Timed out (_TIMED_OUT)".
std::string error_name(ErrorCode code);
// The name alone: "_TIMED_OUT", "NOT_LEADER_FOR_PARTITION".
std::string error_code_name(ErrorCode code);

}  // namespace ks::kafka
