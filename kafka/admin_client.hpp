// A client for admin and metadata requests only (it never produces): the fleet
// coordinator's view of the cluster. Made like every other client (kafka/client.hpp), with
// allow.auto.create.topics=false, so that looking a missing topic up never creates it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "kafka/create_topic.hpp"
#include "kafka/topic_lookup.hpp"

namespace ks::kafka {

class Client;

// A member of a consumer group as DescribeConsumerGroups tells it.
struct GroupMember {
  std::string client_id;
  std::string host;               // as the group coordinator saw it: "/10.0.0.5"
  std::vector<int> partitions;    // assigned (of every topic: the fleet's group has one)
};

class AdminClient {
 public:
  // Throws KafkaError naming a refused property. `properties`: the caller's; they win.
  AdminClient(const KafkaConfig& kafka, std::string name,
              const std::map<std::string, std::string>& properties = {});
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // The cluster id, waited for until `deadline` (see kafka::wait_for_cluster_id).
  std::optional<std::string> wait_for_cluster_id(std::chrono::steady_clock::time_point deadline,
                                                 const std::function<bool()>& give_up) const;
  // Throws KafkaError when no metadata came within `timeout`.
  TopicInfo lookup_topic(const std::string& topic, std::chrono::milliseconds timeout) const;
  TopicCreation create_topic(const NewTopic& topic, const CreateTopicsOptions& options,
                             const ReplicaAssignment& assignment = {}) const;

  // How many members a group has, asked without waiting (DescribeConsumerGroups): one
  // request at a time; the answer comes from poll_member_count(). A request still not
  // answered after `timeout` is dropped with the handle (made again: client() changes) by
  // the next call, which asks again (why: kafka/admin_client.cpp).
  void request_member_count(const std::string& group, std::chrono::milliseconds timeout);
  bool member_count_in_flight() const;
  // The member count when an answer arrived (the request is then no longer in flight);
  // nullopt when none came yet, or it was an error.
  std::optional<int> poll_member_count();
  // The same answer with each member: who it is and what it is assigned.
  std::optional<std::vector<GroupMember>> poll_members();

  const Client& client() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ks::kafka
