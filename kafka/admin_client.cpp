#include "kafka/admin_client.hpp"

#include <array>

#include "kafka/client.hpp"
#include "kafka/detail/conversions.hpp"

namespace ks::kafka {

namespace {

// The largest request timeout librdkafka's admin options accept (one hour).
constexpr int kLibrdkafkaMaxTimeoutMs = 3600 * 1000;

}  // namespace

struct AdminClient::State {
  KafkaConfig kafka;  // to make the handle again
  std::map<std::string, std::string> properties;
  std::string name;
  Client client;
  QueuePtr describe_answers;  // after the client: destroyed before it
  bool describe_in_flight = false;
  std::chrono::steady_clock::time_point describe_expires;

  void connect() {
    describe_answers.reset();
    client = make_client(kafka, RD_KAFKA_PRODUCER, properties, name);
    describe_answers.reset(rd_kafka_queue_new(native(client)));
  }
};

AdminClient::AdminClient(const KafkaConfig& kafka, std::string name,
                         const std::map<std::string, std::string>& properties)
    : state_(std::make_unique<State>()) {
  state_->kafka = kafka;
  state_->properties = {{"allow.auto.create.topics", "false"}};
  for (const auto& [key, value] : properties) state_->properties[key] = value;
  state_->name = std::move(name);
  state_->connect();
}

AdminClient::~AdminClient() = default;

std::optional<std::string> AdminClient::wait_for_cluster_id(
    std::chrono::steady_clock::time_point deadline, const std::function<bool()>& give_up) const {
  return kafka::wait_for_cluster_id(native(state_->client), deadline, give_up);
}

TopicInfo AdminClient::lookup_topic(const std::string& topic,
                                    std::chrono::milliseconds timeout) const {
  return kafka::lookup_topic(state_->client, topic, timeout);
}

TopicCreation AdminClient::create_topic(const NewTopic& topic,
                                        const CreateTopicsOptions& options,
                                        const ReplicaAssignment& assignment) const {
  return kafka::create_topic(state_->client, topic, options, assignment);
}

// DescribeConsumerGroups goes to the group's coordinator: its own librdkafka timeout must
// never fire while the handle lives (librdkafka 2.0.2 aborts when the coordinator comes back
// after it did: kafka/admin_pipeline.cpp, coordinator_targeted). It gets librdkafka's
// largest timeout and this one: a call not answered in time goes with the handle, replaced
// (rd_kafka_destroy fails the calls it holds without sending them).
void AdminClient::request_member_count(const std::string& group,
                                       std::chrono::milliseconds timeout) {
  const auto now = std::chrono::steady_clock::now();
  if (state_->describe_in_flight) {
    if (now < state_->describe_expires) return;
    state_->connect();
    state_->describe_in_flight = false;
  }
  rd_kafka_t* rk = native(state_->client);
  const AdminOptionsPtr options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
  std::array<char, 256> error{};
  rd_kafka_AdminOptions_set_request_timeout(options.get(), kLibrdkafkaMaxTimeoutMs, error.data(),
                                            error.size());
  state_->describe_expires = now + timeout;
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(rk, groups, 1, options.get(), state_->describe_answers.get());
  state_->describe_in_flight = true;
}

bool AdminClient::member_count_in_flight() const { return state_->describe_in_flight; }

std::optional<int> AdminClient::poll_member_count() {
  const auto members = poll_members();
  return members ? std::optional<int>(static_cast<int>(members->size())) : std::nullopt;
}

namespace {

GroupMember member_of(const rd_kafka_MemberDescription_t* m) {
  GroupMember member;
  const char* client_id = rd_kafka_MemberDescription_client_id(m);
  const char* host = rd_kafka_MemberDescription_host(m);
  member.client_id = client_id ? client_id : "";
  member.host = host ? host : "";
  const rd_kafka_MemberAssignment_t* assignment = rd_kafka_MemberDescription_assignment(m);
  const rd_kafka_topic_partition_list_t* list =
      assignment ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
  for (int i = 0; list && i < list->cnt; ++i) member.partitions.push_back(list->elems[i].partition);
  return member;
}

}  // namespace

std::optional<std::vector<GroupMember>> AdminClient::poll_members() {
  std::optional<std::vector<GroupMember>> members;
  while (rd_kafka_event_t* raw = rd_kafka_queue_poll(state_->describe_answers.get(), 0)) {
    const EventPtr event(raw);
    if (rd_kafka_event_type(raw) != RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT) continue;
    state_->describe_in_flight = false;
    if (rd_kafka_event_error(raw)) continue;
    const auto* result = rd_kafka_event_DescribeConsumerGroups_result(raw);
    std::size_t count = 0;
    const auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
    if (count != 1 || rd_kafka_ConsumerGroupDescription_error(groups[0])) continue;
    members.emplace();
    const std::size_t n = rd_kafka_ConsumerGroupDescription_member_count(groups[0]);
    for (std::size_t i = 0; i < n; ++i) {
      members->push_back(member_of(rd_kafka_ConsumerGroupDescription_member(groups[0], i)));
    }
  }
  return members;
}

const Client& AdminClient::client() const { return state_->client; }

}  // namespace ks::kafka
