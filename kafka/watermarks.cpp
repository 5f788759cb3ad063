#include "kafka/watermarks.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <thread>
#include <unordered_map>

#include "kafka/detail/native.hpp"

namespace ks::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// When a broker answers some partitions with an error (NOT_LEADER_FOR_PARTITION while
// leadership moves, UNKNOWN_TOPIC_OR_PART for a topic just deleted, OFFSET_NOT_AVAILABLE for
// a leader just elected), rd_kafka_offsets_for_times fails the whole call and drops every
// answer. The batch is then split in halves, breadth first, so the good partitions still get
// their offsets: at most this many extra calls per batch and kind.
constexpr int kMaxSplitCalls = 16;

// The partitions of one leader asked for in one list (one request per kind).
struct Batch {
  std::size_t broker_slot;             // index into WatermarkResults::brokers
  PartitionListPtr partitions;         // topic and partition of each entry
  std::vector<std::size_t> requests;   // the request each entry answers
  std::vector<std::int64_t> low, high;
};

// One kind (low or high) of one batch.
struct Call {
  Batch* batch;
  bool high;  // else low
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::size_t calls = 0;
  std::size_t partition_errors = 0;
  rd_kafka_resp_err_t first_partition_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  Clock::duration took{};
};

bool is_unreachable(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE ||
         err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT;
}

// Writes the offsets of a successful call: the list keeps its order, so entry k answers
// batch entry indexes[k]. Partition errors are counted, not written.
void record_offsets(Call& call, const rd_kafka_topic_partition_list_t& list,
                    const std::vector<int>& indexes) {
  std::vector<std::int64_t>& out = call.high ? call.batch->high : call.batch->low;
  for (int k = 0; k < list.cnt; ++k) {
    const rd_kafka_topic_partition_t& p = list.elems[k];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR || p.offset < 0) {
      if (call.partition_errors++ == 0 && !call.first_partition_error) {
        call.first_partition_error = p.err ? p.err : RD_KAFKA_RESP_ERR__NO_OFFSET;
      }
      continue;
    }
    out[static_cast<std::size_t>(indexes[static_cast<std::size_t>(k)])] = p.offset;
  }
}

// One offsets_for_times call for the entries `indexes` of the batch; on success writes their
// offsets and returns NO_ERROR.
rd_kafka_resp_err_t call_chunk(rd_kafka_t* rk, Call& call, const std::vector<int>& indexes,
                               Clock::time_point deadline) {
  const int remaining = remaining_ms(deadline);
  if (remaining <= 0) return RD_KAFKA_RESP_ERR__TIMED_OUT;
  const rd_kafka_topic_partition_list_t* all = call.batch->partitions.get();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(indexes.size())));
  for (const int i : indexes) {
    rd_kafka_topic_partition_t* p =
        rd_kafka_topic_partition_list_add(list.get(), all->elems[i].topic, all->elems[i].partition);
    p->offset = call.high ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
  }
  ++call.calls;
  const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list.get(), remaining);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) record_offsets(call, *list, indexes);
  return err;
}

// The broker answers, but not for every partition of `all`: halves are asked again, breadth
// first, within kMaxSplitCalls, so the others still get their offsets.
void split_and_retry(rd_kafka_t* rk, Call& call, const std::vector<int>& all,
                     Clock::time_point deadline, const std::stop_token& stop) {
  std::deque<std::vector<int>> pending;
  const auto split = [&pending](const std::vector<int>& chunk) {
    const auto middle = chunk.begin() + static_cast<std::ptrdiff_t>(chunk.size() / 2);
    pending.emplace_back(chunk.begin(), middle);
    pending.emplace_back(middle, chunk.end());
  };
  split(all);
  int budget = kMaxSplitCalls;
  std::size_t lost = 0;
  while (!pending.empty()) {
    std::vector<int> chunk = std::move(pending.front());
    pending.pop_front();
    if (budget <= 0 || stop.stop_requested()) {
      lost += chunk.size();
      continue;
    }
    --budget;
    const rd_kafka_resp_err_t err = call_chunk(rk, call, chunk, deadline);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (is_unreachable(err)) {  // it stopped answering meanwhile
      call.error = err;
      lost += chunk.size();
      budget = 0;
    } else if (chunk.size() > 1) {
      split(chunk);
    } else {
      ++lost;
    }
  }
  call.partition_errors += lost;
}

void run_call(rd_kafka_t* rk, Call& call, Clock::time_point deadline, const std::stop_token& stop) {
  const auto started = Clock::now();
  std::vector<int> all(static_cast<std::size_t>(call.batch->partitions->cnt));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  call.error = call_chunk(rk, call, all, deadline);
  if (call.error != RD_KAFKA_RESP_ERR_NO_ERROR && !is_unreachable(call.error) && all.size() > 1) {
    call.first_partition_error = call.error;
    call.error = RD_KAFKA_RESP_ERR_NO_ERROR;
    split_and_retry(rk, call, all, deadline, stop);
  }
  call.took = Clock::now() - started;
}

// The requests grouped by leader, at most `max_per_batch` per batch (0: no limit); a
// broker slot per leader in `results`.
std::deque<Batch> group_by_leader(std::span<const WatermarkRequest> requests,
                                  std::size_t max_per_batch, WatermarkResults& results) {
  std::deque<Batch> batches;  // stable addresses: calls point at them
  std::unordered_map<std::int32_t, Batch*> current;  // the leader's batch being filled
  std::unordered_map<std::int32_t, std::size_t> slot_of;
  for (std::size_t r = 0; r < requests.size(); ++r) {
    const WatermarkRequest& request = requests[r];
    if (request.leader < 0) continue;
    auto [slot, new_broker] = slot_of.emplace(request.leader, results.brokers.size());
    if (new_broker) results.brokers.push_back({.broker = request.leader});
    Batch*& batch = current[request.leader];
    if (!batch || (max_per_batch > 0 && batch->requests.size() >= max_per_batch)) {
      batch = &batches.emplace_back(Batch{slot->second, new_partition_list(64), {}, {}, {}});
      ++results.brokers[slot->second].batches;
    }
    const std::string topic(request.topic);
    rd_kafka_topic_partition_list_add(batch->partitions.get(), topic.c_str(), request.partition);
    batch->requests.push_back(r);
    ++results.brokers[slot->second].partitions;
  }
  for (Batch& batch : batches) {
    batch.low.assign(batch.requests.size(), -1);
    batch.high.assign(batch.requests.size(), -1);
  }
  return batches;
}

// Runs the calls on a pool of threads: each call blocks its thread until its broker answers
// or the deadline; a worker takes the next call as it finishes one, none after a stop.
void run_calls(rd_kafka_t* rk, std::vector<Call>& calls, int max_concurrent,
               Clock::time_point deadline, const std::stop_token& stop) {
  const auto workers =
      std::min<std::size_t>(calls.size(), static_cast<std::size_t>(std::max(1, max_concurrent)));
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i; !stop.stop_requested() && (i = next.fetch_add(1)) < calls.size();) {
      run_call(rk, calls[i], deadline, stop);
    }
  };
  if (workers <= 1) {
    work();
    return;
  }
  std::vector<std::jthread> pool;
  pool.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);
}  // the pool joins here

// Folds a finished call into its broker's outcome.
void add_outcome(const Call& call, BrokerWatermarkOutcome& broker) {
  broker.calls += call.calls;
  if (call.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++broker.failed_calls;
    ErrorCode& first = call.high ? broker.high_error : broker.low_error;
    if (!failed(first)) first = error_code(call.error);
    broker.unreachable = broker.unreachable || is_unreachable(call.error);
  }
  if (!failed(broker.first_partition_error) && call.first_partition_error) {
    broker.first_partition_error = error_code(call.first_partition_error);
  }
  broker.took = std::max(broker.took, call.took);
}

}  // namespace

std::size_t WatermarkResults::calls() const {
  std::size_t n = 0;
  for (const BrokerWatermarkOutcome& b : brokers) n += b.calls;
  return n;
}

WatermarkResults fetch_watermarks(const Client& client, std::span<const WatermarkRequest> requests,
                                  const WatermarkOptions& options, std::stop_token stop) {
  const auto deadline = Clock::now() + options.timeout;
  WatermarkResults results;
  results.offsets.resize(requests.size());
  std::deque<Batch> batches = group_by_leader(
      requests, static_cast<std::size_t>(std::max(0, options.max_partitions_per_call)), results);
  std::vector<Call> calls;
  calls.reserve(batches.size() * 2);
  for (Batch& batch : batches) {
    calls.push_back(Call{&batch, true});
    calls.push_back(Call{&batch, false});
  }
  run_calls(native(client), calls, options.max_concurrent_calls, deadline, stop);
  if (stop.stop_requested()) throw StopRequested("watermark requests abandoned: stop requested");

  for (std::size_t c = 0; c < calls.size(); c += 2) {
    // calls[c] is the high, calls[c + 1] the low of the same batch: the worse of the two
    // kinds' partition errors counts.
    BrokerWatermarkOutcome& broker = results.brokers[calls[c].batch->broker_slot];
    add_outcome(calls[c], broker);
    add_outcome(calls[c + 1], broker);
    broker.partition_errors += std::max(calls[c].partition_errors, calls[c + 1].partition_errors);
  }
  for (const Batch& batch : batches) {
    for (std::size_t i = 0; i < batch.requests.size(); ++i) {
      results.offsets[batch.requests[i]] = {batch.low[i], batch.high[i]};
    }
  }
  return results;
}

}  // namespace ks::kafka
