// The answer of an admin call about topics (CreateTopics, CreatePartitions), awaited on its
// queue and read the same way for both: the request's own error, else one result per topic.
// Internal to the Kafka layer (includes librdkafka).
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

#include "kafka/create_topic.hpp"
#include "kafka/detail/handles.hpp"
#include "kafka/errors.hpp"

namespace ks::kafka::detail {

struct TopicAnswer {
  std::string name;
  ErrorCode error = ErrorCode::no_error;
  std::string message;  // the broker's text ("" when it gave none)
};

struct TopicAnswers {
  ErrorCode error = ErrorCode::no_error;  // of the request as a whole
  std::string message;                    // its text, or the error's name
  std::vector<TopicAnswer> topics;        // when the request as a whole did not fail
};

// The call's result event, or nullptr at options.deadline or once options.give_up() says so
// (checked every 200 ms).
EventPtr wait_for_answer(rd_kafka_queue_t* queue, const CreateTopicsOptions& options);

// A CreateTopics or CreatePartitions result event, read.
TopicAnswers read_topic_answers(rd_kafka_event_t* event);

}  // namespace ks::kafka::detail
