// The Kafka layer's access to librdkafka itself: the raw handle of a Client, a client made
// with a librdkafka type and a hook on its configuration, error names of raw codes, and
// metadata as librdkafka returns it. Internal: only kafka/*.cpp include it (and, until
// they are converted, the callers CMakeLists.txt force-includes kafka/unconverted_callers.hpp
// into).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "kafka/client.hpp"
#include "kafka/detail/handles.hpp"

namespace ks::kafka {

inline rd_kafka_t* native(const Client& client) { return client.handle_.get(); }
rd_kafka_type_t native(ClientKind kind);

// make_client (kafka/client.hpp) with librdkafka's type, and `configure` called last on the
// configuration (e.g. the fleet coordinator's rebalance callback). The same configuration
// as every other client: see client_configuration in kafka/client.cpp.
Client make_client(const KafkaConfig& config, rd_kafka_type_t type,
                   const std::map<std::string, std::string>& extra = {},
                   std::string name = "kafka",
                   const std::function<void(rd_kafka_conf_t*)>& configure = {},
                   std::shared_ptr<FailureNote> failure_note = nullptr);

std::string error_name(rd_kafka_resp_err_t code);  // "Local: Timed out (_TIMED_OUT)"

// rd_kafka_metadata of the whole cluster, or of the one topic `only`, with the interruptible
// wait for a first broker that fetch_metadata (kafka/metadata.hpp) describes.
MetadataPtr fetch_native_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                  std::stop_token stop, rd_kafka_topic_t* only = nullptr);

// The cluster-id wait of kafka/metadata.hpp, given up when `give_up()` says so between
// slices.
std::optional<std::string> wait_for_cluster_id(rd_kafka_t* rk,
                                               std::chrono::steady_clock::time_point deadline,
                                               const std::function<bool()>& give_up);

// Milliseconds left until `deadline`, at least `floor` (librdkafka timeouts are ints).
int remaining_ms(std::chrono::steady_clock::time_point deadline, int floor = 0);

}  // namespace ks::kafka
