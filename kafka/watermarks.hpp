// Low and high watermarks of many partitions, batched per leader broker: one
// rd_kafka_offsets_for_times call (= one ListOffsets request) per broker for the high
// watermark and one for the low, each bounded by a timeout, so one slow or dead broker
// fails only the partitions it leads. (rd_kafka_offsets_for_times on a whole list fails
// as a whole when any broker fails; rd_kafka_query_watermark_offsets sends two requests
// per partition and can block far past its timeout on a dead leader.)
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "kafka/handles.hpp"

namespace ks::kafka {

struct BrokerWatermarks {
  std::int32_t broker = -1;  // the leader the partitions were grouped under (informational)
  // Input: topic and partition of each entry (offsets are ignored and left untouched).
  PartitionListPtr partitions;
  // Output, aligned with partitions->elems: -1 where unknown (call or partition failed).
  std::vector<std::int64_t> low;
  std::vector<std::int64_t> high;
  // Whole-call results of the two requests; NO_ERROR when the call succeeded (single
  // partitions may still carry errors: see partition_errors).
  rd_kafka_resp_err_t low_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t high_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::size_t calls = 0;             // offsets_for_times calls made (2, more when split)
  // Partitions left without an offset by an error of their own (e.g. NOT_LEADER while
  // leadership moves), in the worse of the two kinds. A broker that answers some partitions
  // with errors does not fail its call: the batch is split so the others get their offsets.
  std::size_t partition_errors = 0;
  rd_kafka_resp_err_t first_partition_error = RD_KAFKA_RESP_ERR_NO_ERROR;  // (diagnostics)
  std::chrono::steady_clock::duration took{};  // wall time of the slower of the two calls

  bool failed() const {
    return low_error != RD_KAFKA_RESP_ERR_NO_ERROR || high_error != RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  // The broker did not answer (timeout, connection failure): it "stops answering".
  bool unreachable() const;
};

struct WatermarkOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // per call and in total
  int max_concurrent_calls = 16;  // blocking calls running at once (threads)
};

// Fills low/high of every batch. Calls run concurrently (each blocks a thread while its
// request is in flight), all within `timeout` of the start. `rk` is any client handle;
// use a consumer made with watermark_consumer_properties() (read_uncommitted).
void fetch_watermarks(rd_kafka_t* rk, std::span<BrokerWatermarks> batches,
                      const WatermarkOptions& options);

}  // namespace ks::kafka
