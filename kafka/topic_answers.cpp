#include "kafka/detail/topic_answers.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "kafka/detail/conversions.hpp"

namespace ks::kafka::detail {
namespace {

// The per-topic results of the two result types (they differ only in their accessor).
const rd_kafka_topic_result_t** topic_results(rd_kafka_event_t* event, std::size_t& count) {
  count = 0;
  if (const auto* created = rd_kafka_event_CreateTopics_result(event)) {
    return rd_kafka_CreateTopics_result_topics(created, &count);
  }
  if (const auto* grown = rd_kafka_event_CreatePartitions_result(event)) {
    return rd_kafka_CreatePartitions_result_topics(grown, &count);
  }
  return nullptr;
}

}  // namespace

EventPtr wait_for_answer(rd_kafka_queue_t* queue, const CreateTopicsOptions& options) {
  using Clock = std::chrono::steady_clock;
  EventPtr event;
  while (!event) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(options.deadline - Clock::now());
    if (left.count() <= 0 || (options.give_up && options.give_up())) break;
    event.reset(rd_kafka_queue_poll(queue, static_cast<int>(std::min<std::int64_t>(left.count(), 200))));
  }
  return event;
}

TopicAnswers read_topic_answers(rd_kafka_event_t* event) {
  TopicAnswers answers;
  answers.error = code(rd_kafka_event_error(event));
  if (failed(answers.error)) {
    const char* text = rd_kafka_event_error_string(event);
    answers.message = text ? text : error_name(answers.error);
    return answers;
  }
  std::size_t count = 0;
  const rd_kafka_topic_result_t** topics = topic_results(event, count);
  for (std::size_t i = 0; i < count; ++i) {
    const char* text = rd_kafka_topic_result_error_string(topics[i]);
    answers.topics.push_back({rd_kafka_topic_result_name(topics[i]),
                              code(rd_kafka_topic_result_error(topics[i])), text ? text : ""});
  }
  return answers;
}

}  // namespace ks::kafka::detail
