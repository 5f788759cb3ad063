// Many librdkafka admin calls in flight at once on ONE queue, at most `max_in_flight`
// requests at a time, each bounded by a request timeout, and the whole batch by a
// deadline. ListConsumerGroupOffsets takes one group per call: issuing them one after the
// other costs a round trip each; issuing them all at once floods the coordinators. The
// queue is polled and each result is matched to its call by the options' opaque.
//
// A call not answered by the deadline is handed to its callback as nullptr and forgotten:
// one slow group or coordinator delays the batch by at most the deadline, never longer.
// A call to a group coordinator is timed out by the pipeline, not by librdkafka (why:
// admin_pipeline.cpp, coordinator_targeted): nullptr too, after the request timeout.
// Internal to the Kafka layer (kafka/group_admin.hpp is what callers use).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <stop_token>
#include <vector>

namespace ks::kafka {

class AdminPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  // Starts the call: must call an rd_kafka_<Op>(..., options, queue) function.
  using Start = std::function<void(rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue)>;
  // The call's result event (owned by the pipeline), or nullptr when it was not answered
  // before the deadline or could not be started.
  using Done = std::function<void(rd_kafka_event_t* event)>;

  AdminPipeline(rd_kafka_t* rk, int max_in_flight, std::chrono::milliseconds request_timeout);

  // `requests`: how many Kafka requests the call sends (its share of max_in_flight).
  void add(rd_kafka_admin_op_t op, int requests, Start start, Done done);

  struct Result {
    std::size_t calls = 0;
    std::size_t answered = 0;
    std::size_t abandoned = 0;  // not answered by the deadline or the request timeout
    // Abandoned calls to a group coordinator that librdkafka may still send: the handle
    // must be destroyed within the hour (AdminBatchStats::left_in_client).
    std::size_t left_in_client = 0;
    int peak_in_flight = 0;     // the most requests in flight at once
    Clock::time_point first_started{};
    Clock::time_point last_answered{};
  };
  // Runs every added call; returns when all are answered or at `deadline`. The queue is
  // polled in slices: once `stop` is requested the calls not answered yet are abandoned
  // (their callbacks get nullptr) within a slice, and StopRequested is thrown.
  Result run(Clock::time_point deadline, std::stop_token stop = {});

 private:
  struct Call {
    rd_kafka_admin_op_t op;
    int requests;
    Start start;
    Done done;
    bool started = false;
    bool finished = false;
    Clock::time_point expires = Clock::time_point::max();  // when the pipeline gives up
  };

  struct Run;  // the state of one run()
  void start_calls(Run& run);
  void finish(Run& run, Call& call, rd_kafka_event_t* event);
  void abandon(Run& run, Call& call);
  Clock::time_point expire_calls(Run& run, Clock::time_point now);

  rd_kafka_t* rk_;
  int max_in_flight_;
  std::chrono::milliseconds request_timeout_;
  std::vector<Call> calls_;
};

}  // namespace ks::kafka
