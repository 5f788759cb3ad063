#include "kafka/watermarks.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <thread>

namespace ks::kafka {
namespace {

// When a broker answers some partitions with an error (NOT_LEADER_FOR_PARTITION while
// leadership moves, UNKNOWN_TOPIC_OR_PART for a topic just deleted, OFFSET_NOT_AVAILABLE for
// a leader just elected), rd_kafka_offsets_for_times fails the whole call and drops every
// answer. The batch is then split in halves, breadth first, so the good partitions still get
// their offsets: at most this many extra calls per broker and kind.
constexpr int kMaxSplitCalls = 16;

struct Call {
  BrokerWatermarks* batch;
  bool high;  // else low
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::size_t calls = 0;
  std::size_t partition_errors = 0;
  rd_kafka_resp_err_t first_partition_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::chrono::steady_clock::duration took{};
};

bool is_unreachable(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE ||
         err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT;
}

// One offsets_for_times call for the entries `indexes` of the batch; on success writes their
// offsets (partition errors counted, not written) and returns NO_ERROR.
rd_kafka_resp_err_t call_chunk(rd_kafka_t* rk, Call& call, const std::vector<int>& indexes,
                               std::chrono::steady_clock::time_point deadline) {
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
  if (remaining <= 0) return RD_KAFKA_RESP_ERR__TIMED_OUT;
  const rd_kafka_topic_partition_list_t* all = call.batch->partitions.get();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(indexes.size())));
  for (const int i : indexes) {
    rd_kafka_topic_partition_t* p =
        rd_kafka_topic_partition_list_add(list.get(), all->elems[i].topic, all->elems[i].partition);
    p->offset = call.high ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
  }
  ++call.calls;
  const rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(rk, list.get(), static_cast<int>(remaining));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return err;
  // The list keeps its order: entry k answers batch entry indexes[k].
  std::vector<std::int64_t>& out = call.high ? call.batch->high : call.batch->low;
  for (int k = 0; k < list->cnt; ++k) {
    const rd_kafka_topic_partition_t& p = list->elems[k];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR || p.offset < 0) {
      if (call.partition_errors++ == 0 && !call.first_partition_error) {
        call.first_partition_error = p.err ? p.err : RD_KAFKA_RESP_ERR__NO_OFFSET;
      }
      continue;
    }
    out[static_cast<std::size_t>(indexes[static_cast<std::size_t>(k)])] = p.offset;
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void run_call(rd_kafka_t* rk, Call& call, std::chrono::steady_clock::time_point deadline) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<int> all(static_cast<std::size_t>(call.batch->partitions->cnt));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  call.error = call_chunk(rk, call, all, deadline);
  if (call.error != RD_KAFKA_RESP_ERR_NO_ERROR && !is_unreachable(call.error) && all.size() > 1) {
    // The broker answers, but not for every partition: split to save the others.
    call.first_partition_error = call.error;
    call.error = RD_KAFKA_RESP_ERR_NO_ERROR;
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
      if (budget <= 0) {
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
  call.took = std::chrono::steady_clock::now() - started;
}

}  // namespace

bool BrokerWatermarks::unreachable() const {
  return is_unreachable(low_error) || is_unreachable(high_error);
}

void fetch_watermarks(rd_kafka_t* rk, std::span<BrokerWatermarks> batches,
                      const WatermarkOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::vector<Call> calls;
  calls.reserve(batches.size() * 2);
  for (BrokerWatermarks& batch : batches) {
    const auto n = static_cast<std::size_t>(batch.partitions ? batch.partitions->cnt : 0);
    batch.low.assign(n, -1);
    batch.high.assign(n, -1);
    batch.low_error = batch.high_error = RD_KAFKA_RESP_ERR_NO_ERROR;
    batch.calls = 0;
    batch.partition_errors = 0;
    batch.first_partition_error = RD_KAFKA_RESP_ERR_NO_ERROR;
    batch.took = {};
    if (n == 0) continue;  // offsets_for_times refuses an empty list
    calls.push_back(Call{&batch, true});
    calls.push_back(Call{&batch, false});
  }

  const auto workers = std::min<std::size_t>(
      calls.size(), static_cast<std::size_t>(std::max(1, options.max_concurrent_calls)));
  if (workers <= 1) {
    for (Call& call : calls) run_call(rk, call, deadline);
  } else {
    // Each call blocks its thread until its broker answers or the deadline: a pool of
    // workers takes the next call as it finishes one.
    std::atomic<std::size_t> next{0};
    std::vector<std::jthread> pool;
    pool.reserve(workers);
    for (std::size_t w = 0; w < workers; ++w) {
      pool.emplace_back([&] {
        for (std::size_t i; (i = next.fetch_add(1)) < calls.size();) run_call(rk, calls[i], deadline);
      });
    }
  }  // the pool joins here

  for (const Call& call : calls) {
    BrokerWatermarks& batch = *call.batch;
    (call.high ? batch.high_error : batch.low_error) = call.error;
    batch.calls += call.calls;
    batch.partition_errors = std::max(batch.partition_errors, call.partition_errors);
    if (!batch.first_partition_error) batch.first_partition_error = call.first_partition_error;
    batch.took = std::max(batch.took, call.took);
  }
}

}  // namespace ks::kafka
