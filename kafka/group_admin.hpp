// Consumer-group admin requests: list the groups, describe them, read their committed
// offsets (and, for benchmarks and tests, commit offsets for a group). Many calls are
// issued at once on ONE queue, at most `max_in_flight` requests at a time, each bounded by
// a request timeout and the whole batch by a deadline: ListConsumerGroupOffsets takes one
// group per call, and issuing them one after the other costs a round trip each, while
// issuing them all at once floods the coordinators. A call not answered by the deadline
// fails alone: one slow group or coordinator delays the batch by at most the deadline.
// Every batch ends within a poll slice (~200 ms) of a stop request, with StopRequested.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "core/group_member_identity.hpp"
#include "kafka/client.hpp"

namespace ks::kafka {

struct AdminBatchOptions {
  int max_in_flight = 1;                             // requests in flight at once
  std::chrono::milliseconds request_timeout{10000};  // librdkafka's, per request
  std::chrono::steady_clock::time_point deadline;    // of the whole batch
};

struct AdminBatchStats {
  std::size_t calls = 0;
  std::size_t started = 0;    // calls issued (the others could not be configured)
  std::size_t answered = 0;   // calls whose result came back (successful or not)
  std::size_t abandoned = 0;  // not answered by the deadline (or the request timeout)
  // Abandoned calls to a group coordinator that the handle may still send: librdkafka
  // 2.0.2 aborts if their own timeout (one hour) fires and the coordinator comes back
  // after (docs/known-limitations.md). When not 0, destroy the Client
  // (a new one for the next batch) well within the hour.
  std::size_t left_in_client = 0;
  int peak_in_flight = 0;     // the most requests in flight at once
  std::chrono::steady_clock::time_point first_started{};  // epoch when none started
  std::chrono::steady_clock::time_point last_answered{};
};

// --- ListConsumerGroups (one request per broker, one call) ---

struct GroupListing {
  std::string group;
  std::string state;  // "Stable", "Empty", ... as librdkafka names it
};

struct GroupList {
  bool answered = false;             // the call came back (perhaps with broker errors)
  std::vector<GroupListing> groups;  // from the brokers that answered
  std::vector<std::string> errors;   // the call's error, or one per broker that failed
};

GroupList list_groups(const Client& client, const AdminBatchOptions& options,
                      std::stop_token stop);

// --- DescribeConsumerGroups (one DescribeGroups request per group) ---

struct DescribedGroup {
  std::string state;     // "Stable", "Empty", "Dead", ...
  std::string assignor;  // partition assignor ("" when none)
  int members = 0;
  // Partitions in the members' assignments. Empty with members > 0 when the assignments
  // could not be read (not the "consumer" protocol).
  std::vector<std::pair<std::string, std::int32_t>> assigned;
  // Aligned with `assigned`: the index in `assignees` of the member it is assigned to.
  std::vector<std::int32_t> assigned_to{};
  std::vector<GroupMemberIdentity> assignees{};  // the members with partitions, in order
};

struct GroupDescriptionResult {
  std::optional<DescribedGroup> description;  // absent: see error
  std::string error;                          // "" when described
  bool not_found = false;                     // answered GROUP_ID_NOT_FOUND
};

struct GroupDescriptions {
  std::vector<GroupDescriptionResult> groups;  // aligned with the names asked for
  std::size_t requests = 0;                    // DescribeGroups requests sent (one per group)
  AdminBatchStats stats;
};

// `groups_per_call` groups per DescribeConsumerGroups call (each counts as that many
// requests in flight).
GroupDescriptions describe_groups(const Client& client, std::span<const std::string> groups,
                                  int groups_per_call, const AdminBatchOptions& options,
                                  std::stop_token stop);

// --- ListConsumerGroupOffsets (one group per call) ---

struct CommittedOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;  // >= 0: partitions without a commit are left out
};

struct GroupOffsetsResult {
  bool answered = false;  // the call came back without an error of its own
  bool fetched = false;   // ... and the group's offsets were read
  std::string error;      // "" when fetched
  bool not_found = false;  // answered GROUP_ID_NOT_FOUND
  std::vector<CommittedOffset> committed;
};

struct GroupOffsets {
  std::vector<GroupOffsetsResult> groups;  // aligned with the names asked for
  AdminBatchStats stats;
};

// Every partition each group has committed (a NULL partition list: a real broker answers
// with all of them). Use a consumer made with offset_fetch_consumer_properties().
GroupOffsets fetch_group_offsets(const Client& client, std::span<const std::string> groups,
                                 const AdminBatchOptions& options, std::stop_token stop);

// --- AlterConsumerGroupOffsets (one group per call) ---

struct GroupCommit {
  std::string group;
  std::vector<CommittedOffset> offsets;
};

// Commits each group's offsets (the group must have no active members). Returns the
// indexes of the commits that failed (the call, the group or a partition): callers retry.
std::vector<std::size_t> commit_group_offsets(const Client& client,
                                              std::span<const GroupCommit> commits,
                                              const AdminBatchOptions& options,
                                              std::stop_token stop);

}  // namespace ks::kafka
