#include "collectors/groups/group_evaluator.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace ks::groups {
namespace {

const TopicPartition& key(const TopicPartition& tp) { return tp; }
const TopicPartition& key(const CommittedOffset& c) { return c.tp; }

// The row of a group before its offsets: what DescribeGroups (or ListGroups) said.
GroupLag described_row(const GroupObservation& observation) {
  GroupLag row;
  row.name = observation.name;
  if (observation.description) {
    row.described = true;
    row.state = observation.description->state;
    row.protocol = observation.description->protocol;
    row.members = observation.description->members;
    row.assignees = observation.description->assignees;
  } else {
    row.describe_error = observation.describe_error;
    if (!observation.listed_state.empty()) row.state = observation.listed_state;
  }
  return row;
}

// A steady-clock moment in the snapshot's milliseconds (GroupsSnapshot::taken_at_steady_ms).
std::int64_t steady_ms(OffsetHistory::TimePoint at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// A commit of the window, on the steady clock (the snapshot gives its wall time).
CommitSeen commit_seen(const PartitionStatus::Commit& commit) {
  return {commit.offset, commit.lag, steady_ms(commit.at)};
}

// The window's first and last commits and its fill, for Burrow's start, end and complete.
void summarize_window(const std::vector<PartitionStatus::Commit>& window, GroupPartitionLag& prow) {
  if (window.empty()) return;
  prow.first_commit = commit_seen(window.front());
  prow.last_commit = commit_seen(window.back());
  prow.window_commits = static_cast<std::uint16_t>(window.size());
}

}  // namespace

// Who consumes what, from the group's description.
class Assignment {
 public:
  explicit Assignment(const std::optional<GroupDescription>& description) {
    if (!description) return;
    if (description->members > 0 && description->assigned.empty()) return;  // unreadable
    known_ = true;
    assigned_ = description->assigned;
    std::sort(assigned_.begin(), assigned_.end());
    if (description->assigned_to.size() != description->assigned.size()) return;
    for (std::size_t i = 0; i < description->assigned.size(); ++i) {
      owners_.emplace_back(description->assigned[i], description->assigned_to[i]);
    }
    std::sort(owners_.begin(), owners_.end());
  }

  // The index of the member the partition is assigned to (GroupDescription::assignees),
  // -1 when none is known.
  std::int32_t member_of(const TopicPartition& tp) const {
    const auto it = std::lower_bound(owners_.begin(), owners_.end(), tp,
                                     [](const auto& owner, const TopicPartition& t) { return owner.first < t; });
    return it != owners_.end() && it->first == tp ? it->second : -1;
  }

  Liveness of(const TopicPartition& tp) const {
    if (!known_) return Liveness::unknown;
    return std::binary_search(assigned_.begin(), assigned_.end(), tp) ? Liveness::assigned
                                                                      : Liveness::unassigned;
  }

  const std::vector<TopicPartition>& partitions() const { return assigned_; }

 private:
  bool known_ = false;
  std::vector<TopicPartition> assigned_;
  std::vector<std::pair<TopicPartition, std::int32_t>> owners_;  // sorted by partition
};

bool description_contradicts_listing(const GroupDescription& description,
                                     std::string_view listed_state) {
  return description.state == "Dead" && !listed_state.empty() && listed_state != "Dead" &&
         listed_state != "Unknown";
}

bool vanished_since_listing(const GroupObservation& group) {
  if (!group.described_as_gone || group.description) return false;
  return group.offsets_group_not_found || (group.offsets_fetched && group.committed.empty());
}

std::size_t drop_vanished_groups(std::vector<GroupObservation>& groups) {
  return static_cast<std::size_t>(std::erase_if(groups, vanished_since_listing));
}

GroupEvaluator::GroupEvaluator(const EvaluatorParams& params)
    : params_(params), status_params_{params.status_window, params.collect_interval} {}

std::size_t GroupEvaluator::tracked_group_partitions() const {
  std::size_t n = 0;
  for (const auto& [name, group] : groups_) {
    for (const auto& [topic, state] : group.topics) n += state.partitions.size();
  }
  return n;
}

double GroupEvaluator::state_bytes_per_partition() const {
  std::size_t bytes = 0;
  for (const auto& [name, group] : groups_) {
    for (const auto& [topic, state] : group.topics) {
      bytes += state.partitions.capacity() * sizeof(state.partitions[0]);
    }
  }
  const std::size_t n = tracked_group_partitions();
  return n == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(n);
}

void GroupEvaluator::add_watermarks(const CycleObservations& observations) {
  for (const auto& [tp, watermarks] : observations.watermarks) {
    OffsetHistory& history = histories_.try_emplace(tp, params_.history_points).first->second;
    history.add(watermarks.high, observations.watermarks_at);
    history.forget_below(watermarks.low);
  }
  std::erase_if(histories_, [&](const auto& entry) {
    const TopicPartition& tp = entry.first;
    if (observations.watermarks.contains(tp)) return false;
    const auto topic = observations.topic_partitions.find(tp.topic);
    return topic == observations.topic_partitions.end() || tp.partition >= topic->second;
  });
}

void GroupEvaluator::forget_unwanted_histories(const CycleObservations& observations) {
  // Keep the history of every partition of a topic some group still has offsets on, even
  // in a cycle its leader did not answer. Every group's state now holds exactly the topics
  // it has commits on, or, when its offsets were missing this cycle, those it had before
  // (evaluate_group), and the state of groups gone is dropped.
  std::unordered_set<std::string_view> wanted_topics;
  for (const auto& [name, group] : groups_) {
    for (const auto& [topic, state] : group.topics) wanted_topics.insert(topic);
  }
  std::erase_if(histories_, [&](const auto& entry) {
    const TopicPartition& tp = entry.first;
    return !observations.watermarks.contains(tp) && !wanted_topics.contains(tp.topic);
  });
}

GroupsSnapshot GroupEvaluator::evaluate(CycleObservations observations,
                                        const GroupsCycleStats& cycle) {
  GroupsSnapshot snapshot;
  snapshot.taken_at = observations.taken_at;
  snapshot.cycle = cycle;
  snapshot.status_window = params_.status_window;
  add_watermarks(observations);

  std::sort(observations.groups.begin(), observations.groups.end(),
            [](const GroupObservation& a, const GroupObservation& b) { return a.name < b.name; });
  snapshot.taken_at_steady_ms = steady_ms(observations.watermarks_at);
  std::unordered_set<std::string_view> seen;
  std::size_t watermark_errors = 0;
  snapshot.groups.reserve(observations.groups.size());
  for (GroupObservation& group : observations.groups) {
    if (observations.fill) observations.fill(group);
    GroupLag row = evaluate_group(group, observations, watermark_errors);
    // A row equal to the one the last snapshot has is that row: both snapshots hold it, and
    // the peak of a cycle is one snapshot plus the rows that changed (core/shared_rows.hpp).
    std::shared_ptr<const GroupLag>& last = groups_[group.name].last_row;
    if (last && *last == row) {
      ++shared_rows_;
      snapshot.groups.share(last);
    } else {
      snapshot.groups.push_back(std::move(row));
      last = snapshot.groups.shared(snapshot.groups.size() - 1);
    }
    seen.insert(group.name);
    // Done with: freed as the snapshot grows, so a cycle never holds both whole (the
    // observations are ~35 MB at 20,000 groups x 10 partitions; docs/performance.md).
    std::vector<CommittedOffset>().swap(group.committed);
    group.description.reset();
  }
  std::erase_if(groups_, [&](const auto& entry) { return !seen.contains(entry.first); });
  forget_unwanted_histories(observations);

  snapshot.cycle.watermark_errors = watermark_errors;
  snapshot.cycle.partitions_tracked = histories_.size();
  return snapshot;
}

LagStatus GroupEvaluator::last_status(const GroupState& state) {
  LagStatus status = LagStatus::notfound;
  for (const auto& [topic, t] : state.topics) {
    for (const auto& [partition, p] : t.partitions) {
      if (p.status.status() != LagStatus::notfound) {
        status = worse_group_status(status, p.status.status());
      }
    }
  }
  return status;
}

void GroupEvaluator::estimate_lag_seconds(const OffsetHistory* history, const PartitionLag& lag,
                                          OffsetHistory::TimePoint now, GroupPartitionLag& prow,
                                          GroupLag& row) const {
  if (lag.lag == 0) {
    prow.lag_since_steady_ms = lag_since::kCaughtUp;
  } else {
    const OffsetHistory::Produced produced = history == nullptr
                                                 ? OffsetHistory::Produced{}
                                                 : history->produced_at(lag.oldest_unconsumed);
    // (never later than now: the snapshot reads a moment after its "now" as 0 s)
    const std::int64_t since = std::min(steady_ms(produced.at), steady_ms(now));
    switch (produced.kind) {
      case AgeKind::unknown: ++row.lag_seconds_unknown_partitions; break;
      case AgeKind::zero: prow.lag_since_steady_ms = lag_since::kCaughtUp; break;
      case AgeKind::interpolated: prow.lag_since_steady_ms = since; break;
      case AgeKind::lower_bound:
        prow.lag_since_steady_ms = since;
        prow.lag_seconds_lower_bound = true;
        ++row.lag_seconds_lower_bound_partitions;
        row.max_lag_seconds_lower_bound = true;
        break;
    }
  }
  row.max_lag_since_steady_ms = lag_since::older(row.max_lag_since_steady_ms, prow.lag_since_steady_ms);
}

void GroupEvaluator::record_commits(const CommittedOffset& c, const OffsetHistory* history,
                                    PartitionState& ps,
                                    const CycleObservations& observations) const {
  if (history == nullptr) return;  // no end offset known: no lag to judge them by
  for (const CommitRecord& commit : c.commits) {
    // The commit's time on the steady clock: as long before the watermarks as its timestamp
    // is before the moment they were taken (taken_at, the system clock).
    const auto made = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(commit.timestamp_ms));
    const auto at = observations.watermarks_at -
                    std::chrono::duration_cast<OffsetHistory::Clock::duration>(
                        observations.taken_at - made);
    const std::optional<std::int64_t> high = history->high_watermark_at(at);
    if (!high || commit.offset < 0) continue;
    // A commit older than the oldest end-offset sample (read from the stream at start): its
    // lag then is unknown (the end offset may have been far lower), so -1, which no rule
    // counts as lag. Taken against the end offset now, a consumer that committed offset 0
    // for a while before its producer started would be STALL the moment the agent starts.
    const auto oldest = history->oldest_sample();
    const std::int64_t lag =
        oldest && at < *oldest ? -1 : std::max<std::int64_t>(0, *high - commit.offset);
    ps.status.add_commit(commit.offset, lag, at);
  }
}

void GroupEvaluator::evaluate_partition(const CommittedOffset& c, PartitionState& ps,
                                        Liveness liveness, const CycleObservations& observations,
                                        GroupTopicLag& trow, GroupLag& row, Progress& progress,
                                        std::size_t& watermark_errors) {
  GroupPartitionLag& prow = trow.partitions.emplace_back();
  prow.partition = c.tp.partition;
  prow.committed = c.offset;
  trow.committed_sum += c.offset;
  if (ps.last_committed >= 0) progress.consumed += forward_progress(ps.last_committed, c.offset);
  ps.last_committed = c.offset;

  // One lookup of the partition's history for both of its uses below.
  const auto found = histories_.find(c.tp);
  const OffsetHistory* history = found == histories_.end() ? nullptr : &found->second;
  if (observations.judged_on_commits) record_commits(c, history, ps, observations);
  const auto wm = observations.watermarks.find(c.tp);
  if (wm == observations.watermarks.end()) {
    ++watermark_errors;
    prow.status = ps.status.status();  // unknown this cycle: the last verdict stands
  } else {
    const PartitionLag lag = compute_lag(c.offset, wm->second);
    prow.low_watermark = wm->second.low;
    prow.high_watermark = wm->second.high;  // the row derives lag and expired from them
    trow.lag_sum += lag.lag;
    trow.expired_sum += lag.expired;
    ++trow.partitions_with_lag;
    if (ps.last_high >= 0) progress.produced += forward_progress(ps.last_high, wm->second.high);
    ps.last_high = wm->second.high;
    estimate_lag_seconds(history, lag, observations.watermarks_at, prow, row);
    prow.status = observations.judged_on_commits
                      ? ps.status.judge_commits(lag.lag, liveness, observations.watermarks_at)
                      : ps.status.observe(c.offset, lag.lag, liveness, observations.watermarks_at);
  }
  summarize_window(ps.status.window(), prow);
  if (prow.status != LagStatus::notfound) row.status = worse_group_status(row.status, prow.status);
}

GroupEvaluator::PartitionState& GroupEvaluator::partition_state(TopicState& topic,
                                                                std::int32_t partition) const {
  auto it = std::lower_bound(topic.partitions.begin(), topic.partitions.end(), partition,
                             [](const auto& entry, std::int32_t p) { return entry.first < p; });
  if (it == topic.partitions.end() || it->first != partition) {
    it = topic.partitions.emplace(it, partition, PartitionState(status_params_));
  }
  return it->second;
}

void GroupEvaluator::evaluate_topic(std::span<const CommittedOffset> commits, TopicState& topic_state,
                                    const Assignment& assignment,
                                    const CycleObservations& observations, GroupLag& row,
                                    std::size_t& watermark_errors) {
  GroupTopicLag& trow = row.topics.emplace_back();
  trow.topic = commits.front().tp.topic;
  trow.partitions.reserve(commits.size());
  Progress progress;
  std::vector<std::int32_t> partitions_seen;
  partitions_seen.reserve(commits.size());
  if (topic_state.partitions.empty()) topic_state.partitions.reserve(commits.size());
  for (const CommittedOffset& c : commits) {
    PartitionState& ps = partition_state(topic_state, c.tp.partition);
    partitions_seen.push_back(c.tp.partition);
    evaluate_partition(c, ps, assignment.of(c.tp), observations, trow, row, progress,
                       watermark_errors);
    trow.partitions.back().assignee = assignment.member_of(c.tp);
  }

  std::sort(partitions_seen.begin(), partitions_seen.end());
  std::erase_if(topic_state.partitions, [&](const auto& entry) {
    return !std::binary_search(partitions_seen.begin(), partitions_seen.end(), entry.first);
  });
  topic_state.rate.add(observations.watermarks_at, progress.consumed, progress.produced);
  trow.consumed_per_second = topic_state.rate.consumed_per_second();
  trow.produced_per_second = topic_state.rate.produced_per_second();
  if (trow.partitions_with_lag > 0) {
    trow.catch_up_seconds =
        catch_up_seconds(trow.lag_sum, trow.consumed_per_second, trow.produced_per_second);
  }
}

namespace {

// Partitions the group should have an offset on but has not: assigned ones, and every
// partition of a topic it has commits on. `committed` is sorted.
int uncommitted_partitions(const GroupLag& row, const Assignment& assignment,
                           const std::vector<CommittedOffset>& committed,
                           const CycleObservations& observations) {
  std::vector<TopicPartition> expected = assignment.partitions();
  for (const GroupTopicLag& t : row.topics) {
    const auto count = observations.topic_partitions.find(t.topic);
    if (count == observations.topic_partitions.end()) continue;
    for (int p = 0; p < count->second; ++p) expected.push_back({t.topic, p});
  }
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  int n = 0;
  for (const TopicPartition& tp : expected) {
    const bool has_commit =
        std::binary_search(committed.begin(), committed.end(), tp,
                           [](const auto& x, const auto& y) { return key(x) < key(y); });
    if (!has_commit) ++n;
  }
  return n;
}

}  // namespace

GroupLag GroupEvaluator::evaluate_group(GroupObservation& observation,
                                        const CycleObservations& observations,
                                        std::size_t& watermark_errors) {
  GroupLag row = described_row(observation);
  GroupState& state = groups_[observation.name];
  if (!observation.offsets_fetched) {
    // Keep every window as it is; the group is listed, its partitions come back next cycle.
    row.offsets_error = observation.offsets_error;
    row.status = last_status(state);
    return row;
  }
  row.offsets_fetched = true;

  const Assignment assignment(observation.description);
  // Sorted in place, not copied: the observation is freed right after (evaluate), and a copy
  // was 20,000 topic strings and commit lists per cycle at 2,000 groups.
  std::vector<CommittedOffset>& committed = observation.committed;
  std::sort(committed.begin(), committed.end(),
            [](const CommittedOffset& a, const CommittedOffset& b) { return a.tp < b.tp; });

  std::unordered_set<std::string_view> topics_seen;
  for (std::size_t begin = 0; begin < committed.size();) {
    const std::string& topic = committed[begin].tp.topic;
    std::size_t end = begin;
    while (end < committed.size() && committed[end].tp.topic == topic) ++end;
    TopicState& topic_state =
        state.topics.try_emplace(topic, params_.status_window).first->second;
    topics_seen.insert(topic);
    evaluate_topic(std::span(committed).subspan(begin, end - begin), topic_state, assignment,
                   observations, row, watermark_errors);
    begin = end;
  }
  std::erase_if(state.topics,
                [&](const auto& entry) { return !topics_seen.contains(entry.first); });
  row.uncommitted_partitions = uncommitted_partitions(row, assignment, committed, observations);
  return row;
}

}  // namespace ks::groups
