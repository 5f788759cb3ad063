// Many copies of one message into one partition, for benchmarks and test setups (the
// agent's health events go through kafka/producer.hpp, which delivers each one reliably).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "kafka/client.hpp"

namespace ks::kafka {

// Queues `count` messages with value `value` for partition `partition` of `topic` on a
// producer client, waiting while librdkafka's queue is full. Throws KafkaError on any
// other error. Call flush() to have them delivered.
void produce_copies(const Client& producer, const std::string& topic, std::int32_t partition,
                    std::int64_t count, std::string_view value);

// Waits until every queued message is delivered; KafkaError when `timeout` passes first.
void flush(const Client& producer, std::chrono::milliseconds timeout);

}  // namespace ks::kafka
