// Bounded retry of offset commits that failed because the group coordinator moved.
//
// When the broker hosting a group's coordinator stops, its __consumer_offsets partition gets a
// new leader elsewhere, and a commit in flight (or sent before the client has looked the
// coordinator up again) fails with NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or
// COORDINATOR_LOAD_IN_PROGRESS. librdkafka (2.0.2) looks the coordinator up again and resends
// the commit, but only twice, ~100 ms apart: less than a new coordinator may take to load
// the group's offsets. Past that the commit fails, and the caller must retry, or tests that
// stop nodes lose commits. Any other error is final (retrying would not change it).
//
// Header-only, so the loadgen and the unit tests (the Kafka layer's mock cluster injects
// these errors) share one definition.
#pragma once

#include <algorithm>
#include <chrono>
#include <span>
#include <thread>

#include "kafka/errors.hpp"
#include "kafka/topic_partition.hpp"

namespace ks::loadgen {

inline bool is_coordinator_error(kafka::ErrorCode err) {
  return err == kafka::ErrorCode::not_coordinator ||
         err == kafka::ErrorCode::coordinator_not_available ||
         err == kafka::ErrorCode::coordinator_load_in_progress;
}

struct CommitRetryPolicy {
  int max_attempts = 8;  // the first try included
  // Doubles after each failure, up to max_backoff: a new coordinator is usually elected and
  // loaded within a few seconds; 8 attempts wait ~10 s in all.
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{2000};
};

// Runs `attempt()` (one commit; returns its error, top-level or per-partition, NO_ERROR on
// success) until it succeeds, fails with an error that is not a coordinator error, or
// `policy.max_attempts` are spent. `on_retry(err, attempt_number, backoff)` is called before
// each wait (for logging). Returns the last attempt's error.
template <class Attempt, class OnRetry>
kafka::ErrorCode commit_with_retry(Attempt&& attempt, const CommitRetryPolicy& policy,
                                   OnRetry&& on_retry) {
  auto backoff = policy.first_backoff;
  kafka::ErrorCode err = kafka::ErrorCode::no_error;
  for (int n = 1;; ++n) {
    err = attempt();
    if (!is_coordinator_error(err) || n >= std::max(1, policy.max_attempts)) return err;
    on_retry(err, n, backoff);
    std::this_thread::sleep_for(backoff);
    backoff = std::min(policy.max_backoff, backoff * 2);
  }
}

// The error of a finished commit: the request's own, else the first partition's.
inline kafka::ErrorCode commit_error(kafka::ErrorCode request_error,
                                     std::span<const kafka::TopicPartition> offsets) {
  if (kafka::failed(request_error)) return request_error;
  return kafka::first_error(offsets);
}

}  // namespace ks::loadgen
