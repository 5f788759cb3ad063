#include "kafka/create_topic.hpp"

#include <fmt/format.h>

#include <array>
#include <memory>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"
#include "kafka/detail/topic_answers.hpp"

namespace ks::kafka {
namespace {

struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
};
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>;

// librdkafka wants replication factor -1 when the replicas are given.
void set_assignment(rd_kafka_NewTopic_t* topic, const NewTopic& spec, const ReplicaAssignment& assignment) {
  std::array<char, 512> error{};
  for (std::size_t i = 0; i < assignment.size(); ++i) {
    std::vector<std::int32_t> replicas = assignment[i];
    if (rd_kafka_NewTopic_set_replica_assignment(topic, static_cast<std::int32_t>(i), replicas.data(),
                                                 replicas.size(), error.data(), error.size())) {
      throw InvalidNewTopic(fmt::format("topic {} partition {}: {}", spec.name, i, error.data()),
                            error.data());
    }
  }
}

NewTopicPtr new_topic(const NewTopic& spec, const ReplicaAssignment& assignment = {}) {
  std::array<char, 512> error{};
  const bool assigned = !assignment.empty();
  const int partitions = assigned ? static_cast<int>(assignment.size()) : spec.partitions;
  NewTopicPtr topic(rd_kafka_NewTopic_new(spec.name.c_str(), partitions,
                                          assigned ? -1 : spec.replication_factor, error.data(),
                                          error.size()));
  if (!topic) throw InvalidNewTopic(fmt::format("topic {}: {}", spec.name, error.data()), error.data());
  if (assigned) set_assignment(topic.get(), spec, assignment);
  for (const auto& [key, value] : spec.configs) {
    if (const auto err = rd_kafka_NewTopic_set_config(topic.get(), key.c_str(), value.c_str())) {
      throw InvalidNewTopic(fmt::format("topic {} config {}={}: {}", spec.name, key, value,
                                        rd_kafka_err2str(err)),
                            rd_kafka_err2str(err));
    }
  }
  return topic;
}

AdminOptionsPtr admin_options(rd_kafka_t* rk, const CreateTopicsOptions& options) {
  AdminOptionsPtr admin(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  std::array<char, 256> error{};
  rd_kafka_AdminOptions_set_request_timeout(
      admin.get(), static_cast<int>(options.request_timeout.count()), error.data(), error.size());
  if (options.operation_timeout) {
    rd_kafka_AdminOptions_set_operation_timeout(
        admin.get(), static_cast<int>(options.operation_timeout->count()), error.data(),
        error.size());
  }
  return admin;
}

CreateTopicsResult read_result(rd_kafka_event_t* event) {
  detail::TopicAnswers answers = detail::read_topic_answers(event);
  CreateTopicsResult result;
  result.answered = true;
  result.error = answers.error;
  result.message = std::move(answers.message);
  for (detail::TopicAnswer& t : answers.topics) {
    result.topics.push_back({std::move(t.name), t.error, std::move(t.message)});
  }
  return result;
}

CreateTopicsResult create_topics(const Client& client, std::vector<NewTopicPtr> owned,
                                 const CreateTopicsOptions& options) {
  std::vector<rd_kafka_NewTopic_t*> raw;
  for (const NewTopicPtr& topic : owned) raw.push_back(topic.get());
  const AdminOptionsPtr admin = admin_options(native(client), options);
  const QueuePtr queue(rd_kafka_queue_new(native(client)));
  rd_kafka_CreateTopics(native(client), raw.data(), raw.size(), admin.get(), queue.get());
  const EventPtr event = detail::wait_for_answer(queue.get(), options);
  if (!event) return CreateTopicsResult{};
  return read_result(event.get());
}

}  // namespace

CreateTopicsResult create_topics(const Client& client, const std::vector<NewTopic>& topics,
                                 const CreateTopicsOptions& options) {
  std::vector<NewTopicPtr> owned;
  for (const NewTopic& spec : topics) owned.push_back(new_topic(spec));
  return create_topics(client, std::move(owned), options);
}

TopicCreation create_topic(const Client& client, const NewTopic& topic,
                           const CreateTopicsOptions& options, const ReplicaAssignment& assignment) {
  std::vector<NewTopicPtr> owned;
  owned.push_back(new_topic(topic, assignment));
  const CreateTopicsResult result = create_topics(client, std::move(owned), options);
  if (!result.answered) {
    return {topic.name, ErrorCode::local_timed_out, "no answer", false};
  }
  if (failed(result.error)) return {topic.name, result.error, result.message, true};
  if (result.topics.size() != 1) return {topic.name, ErrorCode::no_error, "", true};
  TopicCreation creation = result.topics.front();
  if (creation.message.empty() && failed(creation.error)) creation.message = error_name(creation.error);
  return creation;
}

}  // namespace ks::kafka
