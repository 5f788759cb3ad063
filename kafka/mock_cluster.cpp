#include "kafka/mock_cluster.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <stdexcept>

#include "kafka/bulk_produce.hpp"
#include "kafka/detail/handles.hpp"

namespace ks::kafka {

// The mock cluster lives inside a client handle of its own (librdkafka's design): the
// handle must outlive the cluster.
struct MockCluster::State {
  HandlePtr host;
  rd_kafka_mock_cluster_t* cluster = nullptr;
};

namespace {

void check(rd_kafka_resp_err_t err, const std::string& what) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("mock cluster: " + what + ": " + rd_kafka_err2str(err));
  }
}

}  // namespace

MockCluster::MockCluster(int brokers) : state_(std::make_unique<State>()) {
  std::array<char, 512> error{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", error.data(), error.size());
  state_->host.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size()));
  if (!state_->host) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("mock cluster: ") + error.data());
  }
  state_->cluster = rd_kafka_mock_cluster_new(state_->host.get(), brokers);
  if (!state_->cluster) throw std::runtime_error("mock cluster: could not be created");
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(state_->cluster);
}

MockCluster::~MockCluster() {
  if (state_->cluster) rd_kafka_mock_cluster_destroy(state_->cluster);
}

void MockCluster::create_topic(const std::string& topic, int partitions, int replication_factor) {
  check(rd_kafka_mock_topic_create(state_->cluster, topic.c_str(), partitions, replication_factor),
        "create topic " + topic);
}

void MockCluster::set_partition_leader(const std::string& topic, int partition, int broker) {
  check(rd_kafka_mock_partition_set_leader(state_->cluster, topic.c_str(), partition, broker),
        "set leader of " + topic);
}

void MockCluster::set_topic_error(const std::string& topic, ErrorCode error) {
  rd_kafka_mock_topic_set_error(state_->cluster, topic.c_str(),
                                static_cast<rd_kafka_resp_err_t>(raw(error)));
}

void MockCluster::set_broker_down(int broker) {
  check(rd_kafka_mock_broker_set_down(state_->cluster, broker), "set broker down");
}

void MockCluster::set_broker_up(int broker) {
  check(rd_kafka_mock_broker_set_up(state_->cluster, broker), "set broker up");
}

void MockCluster::set_coordinator(const std::string& key_type, const std::string& key,
                                  int broker) {
  check(rd_kafka_mock_coordinator_set(state_->cluster, key_type.c_str(), key.c_str(), broker),
        "set coordinator of " + key);
}

void MockCluster::push_request_errors(int api_key, const std::vector<ErrorCode>& errors) {
  std::vector<rd_kafka_resp_err_t> codes;
  for (ErrorCode e : errors) codes.push_back(static_cast<rd_kafka_resp_err_t>(raw(e)));
  rd_kafka_mock_push_request_errors_array(state_->cluster, static_cast<std::int16_t>(api_key),
                                          codes.size(), codes.data());
}

void MockCluster::produce(const std::string& topic, int partition, std::int64_t count) {
  KafkaConfig config;
  config.bootstrap_servers = bootstrap_;
  // std::string, not a literal: g++ 12 at -O3 warns (-Wrestrict) on a literal assigned to a
  // map's string, a false positive (GCC bug 105651).
  config.properties["log_level"] = std::string("0");
  const Client producer = make_client(config, ClientKind::producer, {}, "mock-producer");
  produce_copies(producer, topic, partition, count, "m");
  flush(producer, std::chrono::seconds(10));
}

}  // namespace ks::kafka
