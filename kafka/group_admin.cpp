#include "kafka/group_admin.hpp"

#include <algorithm>
#include <cstdint>

#include "kafka/handles.hpp"

namespace ks::groups {

AdminPipeline::AdminPipeline(rd_kafka_t* rk, int max_in_flight,
                             std::chrono::milliseconds request_timeout)
    : rk_(rk), max_in_flight_(std::max(1, max_in_flight)), request_timeout_(request_timeout) {}

void AdminPipeline::add(rd_kafka_admin_op_t op, int requests, Start start, Done done) {
  calls_.push_back(Call{op, std::max(1, requests), std::move(start), std::move(done)});
}

AdminPipeline::Result AdminPipeline::run(Clock::time_point deadline) {
  Result result;
  result.calls = calls_.size();
  // A queue of this run only: an answer arriving after the deadline lands in a destroyed
  // queue (librdkafka drops it), never in the next cycle's.
  kafka::QueuePtr queue(rd_kafka_queue_new(rk_));
  std::size_t next = 0;
  int in_flight = 0;
  std::size_t outstanding = calls_.size();

  auto finish = [&](Call& call, rd_kafka_event_t* event) {
    call.finished = true;
    --outstanding;
    if (call.started) in_flight -= call.requests;
    call.done(event);
  };

  while (outstanding > 0) {
    // Start as many as the budget allows (always at least one, so a call bigger than the
    // budget still runs, alone).
    while (next < calls_.size() &&
           (in_flight == 0 || in_flight + calls_[next].requests <= max_in_flight_)) {
      Call& call = calls_[next];
      kafka::AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk_, call.op));
      char error[256];
      const bool configured =
          options &&
          rd_kafka_AdminOptions_set_request_timeout(options.get(),
                                                    static_cast<int>(request_timeout_.count()),
                                                    error, sizeof error) ==
              RD_KAFKA_RESP_ERR_NO_ERROR;
      if (!configured) {
        finish(call, nullptr);
        ++next;
        continue;
      }
      rd_kafka_AdminOptions_set_opaque(options.get(),
                                       reinterpret_cast<void*>(static_cast<std::uintptr_t>(next)));
      if (result.first_started == Clock::time_point{}) result.first_started = Clock::now();
      call.started = true;
      in_flight += call.requests;
      call.start(options.get(), queue.get());  // librdkafka copies the options
      ++next;
    }
    if (outstanding == 0) break;

    const auto now = Clock::now();
    if (now >= deadline) break;
    const auto wait = std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(200));
    kafka::EventPtr event(rd_kafka_queue_poll(
        queue.get(),
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count())));
    if (!event) continue;
    const auto index = static_cast<std::size_t>(
        reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(event.get())));
    if (index >= calls_.size() || !calls_[index].started || calls_[index].finished) continue;
    ++result.answered;
    result.last_answered = Clock::now();
    finish(calls_[index], event.get());
  }

  for (Call& call : calls_) {
    if (call.finished) continue;
    ++result.abandoned;
    finish(call, nullptr);
  }
  calls_.clear();
  return result;
}

}  // namespace ks::groups
