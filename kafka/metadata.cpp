#include "kafka/metadata.hpp"

#include <algorithm>

#include "kafka/detail/native.hpp"

namespace ks::kafka {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::int32_t> ids(const std::int32_t* first, int count) {
  return count > 0 ? std::vector<std::int32_t>(first, first + count) : std::vector<std::int32_t>{};
}

TopicMetadata copy_topic(const rd_kafka_metadata_topic_t& mt) {
  TopicMetadata topic;
  topic.name = mt.topic ? mt.topic : "";
  topic.error = error_code(mt.err);
  topic.partitions.reserve(static_cast<std::size_t>(std::max(0, mt.partition_cnt)));
  for (int p = 0; p < mt.partition_cnt; ++p) {
    const rd_kafka_metadata_partition_t& mp = mt.partitions[p];
    topic.partitions.push_back({mp.id, mp.leader, ids(mp.replicas, mp.replica_cnt),
                                ids(mp.isrs, mp.isr_cnt), error_code(mp.err)});
  }
  return topic;
}

// The plain copy of librdkafka's answer, with the cluster and controller ids the handle
// has cached (they came with this or an earlier answer).
ClusterMetadata copy_metadata(rd_kafka_t* rk, const rd_kafka_metadata_t& md) {
  ClusterMetadata out;
  if (char* id = rd_kafka_clusterid(rk, 0)) {
    out.cluster_id = id;
    rd_kafka_mem_free(rk, id);
  }
  out.controller_id = rd_kafka_controllerid(rk, 0);
  if (out.controller_id < 0) out.controller_id = -1;
  out.brokers.reserve(static_cast<std::size_t>(std::max(0, md.broker_cnt)));
  for (int i = 0; i < md.broker_cnt; ++i) {
    const rd_kafka_metadata_broker_t& b = md.brokers[i];
    out.brokers.push_back({b.id, b.host ? b.host : "", b.port});
  }
  out.topics.reserve(static_cast<std::size_t>(std::max(0, md.topic_cnt)));
  for (int t = 0; t < md.topic_cnt; ++t) out.topics.push_back(copy_topic(md.topics[t]));
  return out;
}

}  // namespace

std::optional<std::string> wait_for_cluster_id(rd_kafka_t* rk, Clock::time_point deadline,
                                               const std::function<bool()>& give_up) {
  for (;;) {
    const auto started = Clock::now();
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - started);
    if (remaining <= std::chrono::milliseconds(0)) return std::nullopt;
    // Given up: only what the handle already knows (a broker that has answered is still
    // used), without waiting.
    const bool giving_up = give_up && give_up();
    const auto wait = giving_up ? std::chrono::milliseconds(0) : std::min(remaining, kBrokerWaitSlice);
    if (char* id = rd_kafka_clusterid(rk, static_cast<int>(wait.count()))) {
      std::string out(id);
      rd_kafka_mem_free(rk, id);
      return out;
    }
    if (giving_up) return std::nullopt;
    // An early nullptr: metadata came, from a broker too old to send a cluster id.
    if (Clock::now() - started < wait / 2) return std::string();
  }
}

std::optional<std::string> wait_for_cluster_id(const Client& client, Clock::time_point deadline,
                                               std::stop_token stop) {
  return wait_for_cluster_id(native(client), deadline,
                             [&stop] { return stop.stop_requested(); });
}

MetadataPtr fetch_native_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout,
                                  std::stop_token stop, rd_kafka_topic_t* only) {
  // rd_kafka_metadata itself cannot be interrupted: while no broker is usable it waits for
  // one up to the whole timeout. So first wait for a broker (interruptibly), then send one
  // request with the rest of the timeout. (Not a request per slice: a request that outlives
  // its timeout in flight makes librdkafka drop the connection.)
  const auto deadline = Clock::now() + timeout;
  // The cluster id comes with the handle's first metadata (and stays cached), so this waits
  // for a broker only until one has ever answered. Past the deadline the request below fails
  // with librdkafka's own error.
  const bool known = wait_for_cluster_id(rk, deadline, [&stop] { return stop.stop_requested(); })
                         .has_value();
  if (!known && stop.stop_requested()) {
    throw StopRequested("metadata request abandoned, the agent is stopping: no broker reachable "
                        "yet (" + error_name(RD_KAFKA_RESP_ERR__TRANSPORT) + ")");
  }
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, only ? 0 : 1, only, &md, remaining_ms(deadline, 1));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md) rd_kafka_metadata_destroy(md);
    throw KafkaError(err, "metadata request failed: " + error_name(err));
  }
  return MetadataPtr(md);
}

ClusterMetadata fetch_metadata(const Client& client, std::chrono::milliseconds timeout,
                               std::stop_token stop) {
  const MetadataPtr md = fetch_native_metadata(native(client), timeout, std::move(stop));
  return copy_metadata(native(client), *md);
}

ClusterMetadata fetch_topic_metadata(const Client& client, const std::string& topic,
                                     std::chrono::milliseconds timeout, std::stop_token stop) {
  struct TopicDeleter {
    void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
  };
  const std::unique_ptr<rd_kafka_topic_t, TopicDeleter> handle(
      rd_kafka_topic_new(native(client), topic.c_str(), nullptr));
  if (!handle) {
    throw KafkaError(rd_kafka_last_error(), "topic handle for " + topic + ": " +
                                                error_name(rd_kafka_last_error()));
  }
  const MetadataPtr md = fetch_native_metadata(native(client), timeout, std::move(stop), handle.get());
  return copy_metadata(native(client), *md);
}

}  // namespace ks::kafka
