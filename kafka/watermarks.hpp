// Low and high watermarks of many partitions, batched per leader broker: one
// rd_kafka_offsets_for_times call (= one ListOffsets request) per broker for the high
// watermark and one for the low, each bounded by a timeout, so one slow or dead broker
// fails only the partitions it leads. (rd_kafka_offsets_for_times on a whole list fails
// as a whole when any broker fails; rd_kafka_query_watermark_offsets sends two requests
// per partition and can block far past its timeout on a dead leader.)
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stop_token>
#include <string_view>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/errors.hpp"

namespace ks::kafka {

// A partition to ask for, with its leader (from the metadata): the requests are grouped by
// it. `topic` must stay valid during the call.
struct WatermarkRequest {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int32_t leader = -1;  // < 0: no leader to ask (offline); answered -1, -1
};

// -1 where unknown (no leader, the call or the partition failed).
struct PartitionWatermarks {
  std::int64_t low = -1;
  std::int64_t high = -1;
  bool known() const { return low >= 0 && high >= 0; }
};

// What the calls to one leader broker did.
struct BrokerWatermarkOutcome {
  std::int32_t broker = -1;
  std::size_t partitions = 0;  // requests led by it
  std::size_t batches = 0;     // partition lists it was asked for (max_partitions_per_call)
  std::size_t calls = 0;       // offsets_for_times calls made (2 per batch, more when split)
  // Calls (one per batch and kind) that failed as a whole, and the first of their errors
  // per kind. Single partitions may still carry errors: see partition_errors.
  std::size_t failed_calls = 0;
  ErrorCode low_error = ErrorCode::no_error;
  ErrorCode high_error = ErrorCode::no_error;
  // Partitions left without an offset by an error of their own (e.g. NOT_LEADER while
  // leadership moves), in the worse of the two kinds. A broker that answers some partitions
  // with errors does not fail its call: the batch is split so the others get their offsets.
  std::size_t partition_errors = 0;
  ErrorCode first_partition_error = ErrorCode::no_error;  // (diagnostics)
  bool unreachable = false;  // a call timed out or lost its connection: it "stops answering"
  std::chrono::steady_clock::duration took{};  // wall time of its slowest call

  bool failed() const { return failed_calls > 0; }
};

struct WatermarkResults {
  std::vector<PartitionWatermarks> offsets;     // aligned with the requests
  std::vector<BrokerWatermarkOutcome> brokers;  // one per leader asked, by first appearance
  std::size_t calls() const;
};

struct WatermarkOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // per call and in total
  int max_concurrent_calls = 16;  // blocking calls running at once (threads)
  // Partitions per offsets_for_times call; 0: no limit. librdkafka matches answers to
  // requests with linear list searches, so a call's CPU cost grows with the square of its
  // size: a broker leading more partitions gets several calls (and requests).
  int max_partitions_per_call = 0;
};

// Watermarks of every request. Calls run concurrently (each blocks a thread while its
// request is in flight), all within `timeout` of the start. No call starts once `stop` is
// requested, and then StopRequested is thrown when the calls in flight (bounded by the
// timeout; librdkafka cannot cancel them) have returned. Use a consumer made with
// watermark_consumer_properties() (read_uncommitted).
WatermarkResults fetch_watermarks(const Client& client, std::span<const WatermarkRequest> requests,
                                  const WatermarkOptions& options, std::stop_token stop);

}  // namespace ks::kafka
