// TRANSITIONAL: the Kafka layer's former raw-handle API, for the files that still use it
// until they are converted (fleet/coordinator.cpp, on the kafka-clients branch). The top
// CMakeLists.txt force-includes this header into them; nothing includes it by name. Delete
// both once they use kafka/native.hpp or the public API.
#pragma once

#include <chrono>

#include "kafka/native.hpp"

namespace ks::kafka {

// Former fetch_metadata: no stop token (the wait for a first broker runs to the timeout).
inline MetadataPtr fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                  rd_kafka_topic_t* only = nullptr) {
  return fetch_native_metadata(rk, timeout, std::stop_token{}, only);
}

}  // namespace ks::kafka
