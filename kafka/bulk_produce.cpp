#include "kafka/bulk_produce.hpp"

#include "kafka/detail/native.hpp"

namespace ks::kafka {

void produce_copies(const Client& producer, const std::string& topic, std::int32_t partition,
                    std::int64_t count, std::string_view value) {
  rd_kafka_t* rk = native(producer);
  for (std::int64_t i = 0; i < count; ++i) {
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        throw KafkaError(err, "produce to " + topic + " failed: " + error_name(err));
      }
      rd_kafka_poll(rk, 50);  // delivery reports free room in the queue
    }
  }
  rd_kafka_poll(rk, 0);
}

void flush(const Client& producer, std::chrono::milliseconds timeout) {
  if (const rd_kafka_resp_err_t err =
          rd_kafka_flush(native(producer), static_cast<int>(timeout.count()))) {
    throw KafkaError(err, "flush failed: " + error_name(err));
  }
}

}  // namespace ks::kafka
