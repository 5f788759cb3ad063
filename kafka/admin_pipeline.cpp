#include "kafka/detail/admin_pipeline.hpp"

#include <algorithm>
#include <cstdint>

#include "kafka/detail/native.hpp"

namespace ks::kafka {
namespace {

// A stop request is noticed within this while waiting for answers.
constexpr std::chrono::milliseconds kPollSlice{200};

// The largest request timeout librdkafka's admin options accept (one hour).
constexpr int kLibrdkafkaMaxTimeoutMs = 3600 * 1000;

// Calls librdkafka sends to a group's coordinator (after a FindCoordinator). Their own
// librdkafka timeout must never fire while the handle lives: when it fires before the
// coordinator is reached and the coordinator then comes back, librdkafka (2.0.2 and later
// releases, docs/known-limitations.md) frees the call's state and then uses
// it: abort in rd_kafka_enq_once_del_source_return. These calls get librdkafka's largest
// timeout and the pipeline times them out itself; the handle's owner destroys a handle left
// with such calls (AdminBatchStats::left_in_client) long before the hour is out.
bool coordinator_targeted(rd_kafka_admin_op_t op) {
  switch (op) {
    case RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS:
    case RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS:
    case RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS:
    case RD_KAFKA_ADMIN_OP_DELETEGROUPS:
    case RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct AdminPipeline::Run {
  Result result;
  // A queue of this run only: an answer arriving after the deadline lands in a destroyed
  // queue (librdkafka drops it), never in the next cycle's.
  QueuePtr queue;
  std::size_t next = 0;
  std::size_t oldest = 0;  // no call before it is both started and unfinished
  int in_flight = 0;
  std::size_t outstanding = 0;
};

AdminPipeline::AdminPipeline(rd_kafka_t* rk, int max_in_flight,
                             std::chrono::milliseconds request_timeout)
    : rk_(rk), max_in_flight_(std::max(1, max_in_flight)), request_timeout_(request_timeout) {}

void AdminPipeline::add(rd_kafka_admin_op_t op, int requests, Start start, Done done) {
  calls_.push_back(Call{op, std::max(1, requests), std::move(start), std::move(done)});
}

void AdminPipeline::finish(Run& run, Call& call, rd_kafka_event_t* event) {
  call.finished = true;
  --run.outstanding;
  if (call.started) run.in_flight -= call.requests;
  call.done(event);
}

void AdminPipeline::abandon(Run& run, Call& call) {
  ++run.result.abandoned;
  if (call.started && coordinator_targeted(call.op)) ++run.result.left_in_client;
  finish(run, call, nullptr);
}

// Calls start in order with the same timeout, so they expire in order: the oldest first.
// (A pipeline runs one kind of call; one librdkafka times out would hold the scan up.)
// Returns when the next one expires (time_point::max() when none is waiting).
AdminPipeline::Clock::time_point AdminPipeline::expire_calls(Run& run, Clock::time_point now) {
  for (; run.oldest < run.next; ++run.oldest) {
    Call& call = calls_[run.oldest];
    if (call.finished) continue;
    if (call.expires > now) return call.expires;
    abandon(run, call);
  }
  return Clock::time_point::max();
}

// Starts as many calls as the budget allows (always at least one, so a call bigger than the
// budget still runs, alone).
void AdminPipeline::start_calls(Run& run) {
  while (run.next < calls_.size() &&
         (run.in_flight == 0 || run.in_flight + calls_[run.next].requests <= max_in_flight_)) {
    Call& call = calls_[run.next];
    const std::uintptr_t index = run.next++;
    AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk_, call.op));
    char error[256];
    const bool own_timeout = coordinator_targeted(call.op);
    const int timeout_ms =
        own_timeout ? kLibrdkafkaMaxTimeoutMs : static_cast<int>(request_timeout_.count());
    const bool configured =
        options && rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, error,
                                                             sizeof error) ==
                       RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!configured) {
      finish(run, call, nullptr);
      continue;
    }
    rd_kafka_AdminOptions_set_opaque(options.get(), reinterpret_cast<void*>(index));
    if (run.result.first_started == Clock::time_point{}) run.result.first_started = Clock::now();
    call.started = true;
    // The others end with librdkafka's timeout (an answer saying so), these with ours.
    call.expires = own_timeout ? Clock::now() + request_timeout_ : Clock::time_point::max();
    run.in_flight += call.requests;
    run.result.peak_in_flight = std::max(run.result.peak_in_flight, run.in_flight);
    call.start(options.get(), run.queue.get());  // librdkafka copies the options
  }
}

AdminPipeline::Result AdminPipeline::run(Clock::time_point deadline, std::stop_token stop) {
  Run run;
  run.result.calls = calls_.size();
  run.queue.reset(rd_kafka_queue_new(rk_));
  run.outstanding = calls_.size();
  while (run.outstanding > 0 && !stop.stop_requested()) {
    const Clock::time_point next_expiry = expire_calls(run, Clock::now());
    start_calls(run);
    if (run.outstanding == 0) break;
    const auto now = Clock::now();
    if (now >= deadline) break;
    const auto wait = std::min<Clock::duration>(
        {deadline - now, kPollSlice, std::max<Clock::duration>(next_expiry - now, {})});
    EventPtr event(rd_kafka_queue_poll(
        run.queue.get(),
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count())));
    if (!event) continue;
    const auto index = static_cast<std::size_t>(
        reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(event.get())));
    if (index >= calls_.size() || !calls_[index].started || calls_[index].finished) continue;
    ++run.result.answered;
    run.result.last_answered = Clock::now();
    finish(run, calls_[index], event.get());
  }
  for (Call& call : calls_) {
    if (!call.finished) abandon(run, call);
  }
  calls_.clear();
  if (stop.stop_requested()) throw StopRequested("admin requests abandoned: stop requested");
  return run.result;
}

}  // namespace ks::kafka
