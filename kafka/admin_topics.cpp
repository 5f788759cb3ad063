#include "kafka/admin_topics.hpp"

#include <algorithm>
#include <array>

#include "kafka/native.hpp"

namespace ks::kafka {
namespace {

// One CreateTopics request for `names`; its per-topic results are added to `out`.
void create_one_request(rd_kafka_t* rk, rd_kafka_queue_t* queue, std::span<const std::string> names,
                        int partitions, int replication_factor, std::chrono::milliseconds timeout,
                        TopicsCreated& out) {
  std::array<char, 256> err{};
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const std::string& name : names) {
    topics.push_back(rd_kafka_NewTopic_new(name.c_str(), partitions, replication_factor,
                                           err.data(), err.size()));
  }
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  // The brokers' own wait for the topics to exist: half the time this request may take.
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count() / 2),
                                              err.data(), err.size());
  rd_kafka_CreateTopics(rk, topics.data(), topics.size(), options.get(), queue);
  rd_kafka_NewTopic_destroy_array(topics.data(), topics.size());
  EventPtr ev(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count())));
  if (!ev) throw KafkaError(ErrorCode::local_timed_out, "CreateTopics failed: timeout");
  if (const rd_kafka_resp_err_t e = rd_kafka_event_error(ev.get())) {
    throw KafkaError(e, std::string("CreateTopics failed: ") + rd_kafka_event_error_string(ev.get()));
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++out.created;
    } else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      ++out.existed;
    } else {
      out.failures.push_back({rd_kafka_topic_result_name(results[i]), rd_kafka_err2str(e)});
    }
  }
}

}  // namespace

TopicsCreated create_topics_batch(const Client& client, std::span<const std::string> names,
                                  int partitions, int replication_factor,
                                  std::chrono::milliseconds timeout, std::size_t per_request) {
  rd_kafka_t* rk = native(client);
  QueuePtr queue(rd_kafka_queue_new(rk));
  TopicsCreated out;
  per_request = std::max<std::size_t>(1, per_request);
  for (std::size_t begin = 0; begin < names.size(); begin += per_request) {
    const std::size_t n = std::min(per_request, names.size() - begin);
    create_one_request(rk, queue.get(), names.subspan(begin, n), partitions, replication_factor,
                       timeout, out);
  }
  return out;
}

}  // namespace ks::kafka
