#include "collectors/groups/offsets_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>

#include "kafka/client.hpp"
#include "kafka/offsets_partition.hpp"

namespace ks::groups {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long an empty poll waits: long enough for a fetch answer in flight, short enough that
// a quiet stream costs the cycle little.
constexpr auto kQuietPoll = 20ms;

// How long a broker may hold the reader's fetch when its partitions have nothing new
// (librdkafka's fetch.wait.max.ms, of the handle that follows partitions already read to
// their end). A broker answers a waiting fetch as soon as a record is written
// (fetch.min.bytes 1), so commits arrive as fast with a long wait; what the wait sets is how
// often an idle stream asks: at librdkafka's 500 ms, two fetches a second to every broker
// leading an offsets partition, 89 of the agent's 118 requests per 15 s cycle at 2,000
// groups (docs/performance.md); at 5 s, 3 per broker and cycle. It can be long because
// nothing else waits behind it: the reader's metadata and ListOffsets requests and the
// reading of partitions added (start, a fleet's takeover) go through the reader's catch-up
// handle (kafka/partition_reader.hpp). What it still delays: when partitions are handed to
// a follower that already reads others (a takeover), their next commits come with its next
// fetch to their broker, at most one wait later, once; their groups are reported as soon as
// the catch-up handle has read them to their end. Why 5 s and not longer: the idle stream
// then sends 9 of the agent's ~27 requests per 15 s at 2,000 groups (3 brokers), so a
// longer wait saves little, and it would lengthen that once-per-takeover delay.
constexpr auto kFetchWait = 5000ms;
// The catch-up handle's wait: it is held only at a partition's end, where librdkafka needs
// one more fetch to say "end" when the last offsets hold no record (compacted, transaction
// markers): "caught up" within this of the last record, at start and after a takeover.
constexpr auto kCatchUpFetchWait = 100ms;

// How far librdkafka reads ahead of the decoding, per handle (queued.max.messages.kbytes,
// queued.min.messages; librdkafka's defaults are 64 MB and 100,000 messages). While the
// stream is first read, the broker answers faster than records are decoded, and what was
// read ahead (messages and their operations, each a small allocation) was up to ~25 MiB of
// the agent's heap at 20,000 groups, freed into scattered holes that stay in its RSS: 107 to
// 125 MiB once read, 130 to 156 MiB at the peak over runs of one binary; with 1 MB read
// ahead, 97 MiB and 130 to 137 MiB, the first read taking ~5 s instead of ~2.5 s
// (docs/performance.md, "Memory at 20,000 groups, sixth pass"). The follower, once caught
// up, reads what is committed as it comes, far below either bound. kafka.properties wins.
const std::map<std::string, std::string> kReadAhead{
    {"queued.max.messages.kbytes", "1024"},
    {"queued.min.messages", "1000"},
};

std::span<const std::byte> bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A classic group's description as DescribeGroups would give it.
void describe_classic(const ClassicGroupState& classic, GroupDescription& d) {
  d.protocol = classic.protocol.value_or("");
  d.members = static_cast<int>(classic.members.size());
  const bool readable = std::all_of(classic.members.begin(), classic.members.end(), [](const auto& m) {
    return m.assignment_state == AssignmentState::decoded ||
           m.assignment_state == AssignmentState::empty;
  });
  if (!readable) return;  // another protocol: liveness unknown, as with DescribeGroups
  for (const GroupMember& m : classic.members) {
    if (m.assignment.empty()) continue;
    const auto index = static_cast<std::int32_t>(d.assignees.size());
    d.assignees.push_back({m.client_id, m.client_host});
    for (const TopicPartitions& tp : m.assignment) {
      for (const std::int32_t p : tp.partitions) {
        d.assigned.push_back({tp.topic, p});
        d.assigned_to.push_back(index);
      }
    }
  }
}

}  // namespace

kafka::PartitionReaderSettings offsets_reader_settings(const KafkaConfig& kafka,
                                                       std::shared_ptr<kafka::FailureNote> note) {
  kafka::PartitionReaderSettings settings;
  settings.failure_note = std::move(note);
  settings.name = "groups-offsets";
  // Never joined (assigned partitions only), so it never shows up as a group.
  settings.group_id = kafka.client_id + ".offsets-reader-never-joins";
  settings.timeout = kafka.request_timeout;
  settings.fetch_wait = kFetchWait;
  settings.catch_up_fetch_wait = kCatchUpFetchWait;
  for (const auto& [key, value] : kReadAhead) {
    if (!kafka.properties.contains(key)) settings.properties.emplace(key, value);
  }
  return settings;
}

OffsetsStream::OffsetsStream(const KafkaConfig& kafka, PartitionChooser partitions_of,
                             std::size_t commit_window,
                             std::shared_ptr<kafka::FailureNote> failure_note,
                             std::stop_token stop)
    : reader_(kafka, offsets_reader_settings(kafka, std::move(failure_note)), std::move(stop)),
      partitions_of_(std::move(partitions_of)),
      state_(commit_window) {
  if (!partitions_of_) {
    partitions_of_ = [](int count) {
      std::set<std::int32_t> all;
      for (int p = 0; p < count; ++p) all.insert(p);
      return all;
    };
  }
}

void OffsetsStream::sync_partitions(std::stop_token stop) {
  const std::set<std::int32_t> wanted = partitions_of_(reader_.topic_partitions());
  const std::set<std::int32_t> current = reader_.partitions();
  if (wanted == current) return;
  for (const std::int32_t p : current) {
    if (!wanted.contains(p)) state_.drop_partition(p);
  }
  reader_.set_partitions(wanted, std::move(stop));
}

void OffsetsStream::read_one(const kafka::PartitionRecord& record) {
  ++records_;
  if (record.value) {
    state_.apply(record.partition, bytes(record.key), bytes(*record.value));
  } else {
    state_.apply(record.partition, bytes(record.key), std::nullopt);
  }
}

void OffsetsStream::drain(std::stop_token stop, std::chrono::milliseconds budget) {
  sync_partitions(stop);
  const auto deadline = Clock::now() + budget;
  std::string error;
  auto next_figures = Clock::now() + 200ms;
  while (!stop.stop_requested() && Clock::now() < deadline) {
    if (auto record = reader_.poll(kQuietPoll, error)) {
      read_one(*record);
      if (Clock::now() >= next_figures) {  // /readyz follows a long first read
        publish_figures();
        next_figures = Clock::now() + 200ms;
      }
      continue;
    }
    if (!error.empty()) spdlog::debug("groups: reading __consumer_offsets: {}", error);
    if (reader_.caught_up() && reader_.progress().lag == 0) break;
  }
  if (reader_.caught_up() && !loaded_) {
    state_.shrink_to_fit();  // the first read's growth room, given back once
    loaded_ = true;
  }
  publish_figures();
}

void OffsetsStream::load(std::stop_token stop) {
  if (loaded_) return;
  do {
    if (stop.stop_requested()) throw kafka::StopRequested("reading __consumer_offsets");
    drain(stop, std::chrono::seconds(1));
  } while (!reader_.caught_up());
}

bool OffsetsStream::ready(std::string_view group) const {
  const int count = reader_.topic_partitions();
  if (count <= 0) return true;  // nothing read yet: no commits to show, none hidden
  const auto p = static_cast<std::size_t>(kafka::offsets_partition_of(group, count));
  return p < caught_up_.size() && caught_up_[p];
}

std::size_t OffsetsStream::unmapped_assignments(std::string_view group) const {
  const OffsetsGroup* g = state_.find(group);
  // KIP-848: assignments name topics by ID, which librdkafka 2.0.2's metadata lacks.
  if (g == nullptr || g->classic) return 0;
  std::size_t unmapped = 0;
  for (const auto& [id, member] : g->consumer_members) {
    for (const TopicIdPartitions& t : member.assigned) unmapped += t.partitions.size();
  }
  return unmapped;
}

void OffsetsStream::add_committed(std::string_view group, CommittedPartitions& out) const {
  const OffsetsGroup* g = state_.find(group);
  if (g == nullptr) return;
  for (const StoredCommit& commit : g->offsets.entries()) {
    if (commit.offset >= 0) out[g->offsets.topic_of(commit)].insert(commit.partition);
  }
}

void OffsetsStream::observe(GroupObservation& group) {
  GroupDescription d;
  d.state = group.listed_state;
  group.offsets_fetched = true;
  if (OffsetsGroup* g = state_.find(group.name)) {
    // At its size: grown by doubling, 200,000 partitions' observations held 23 MB at the
    // cycle's peak for 13 MB of entries (heaptrack, 20,000 groups x 10 partitions).
    group.committed.reserve(g->offsets.size());
    for (StoredCommit& commit : g->offsets.entries()) {
      std::vector<CommitPoint> made = OffsetsState::take_commits(commit);
      if (commit.offset < 0) continue;
      CommittedOffset& c = group.committed.emplace_back();
      c.tp = {g->offsets.topic_of(commit), commit.partition};
      c.offset = commit.offset;
      c.commits.reserve(made.size());
      for (const CommitPoint& m : made) c.commits.push_back({m.offset, m.commit_timestamp_ms});
    }
    if (g->classic) {
      describe_classic(*g->classic, d);
    } else if (!g->consumer_members.empty()) {
      d.members = static_cast<int>(g->consumer_members.size());
    }
  }
  if (d.state.empty()) d.state = d.members > 0 ? "Stable" : "Empty";  // kept, not listed
  group.description = std::move(d);
}

namespace {

// Of the partitions not caught up yet, the share of what they had to read that is read.
double catching_up_percent(const kafka::ReaderProgress& progress) {
  double total = 0;
  double read = 0;
  for (const auto& [p, pp] : progress.partitions) {
    if (pp.caught_up) continue;
    total += static_cast<double>(std::max<std::int64_t>(0, pp.end - pp.start));
    read += static_cast<double>(std::max<std::int64_t>(0, pp.position - pp.start));
  }
  return total > 0 ? std::min(100.0, 100.0 * read / total) : 100.0;
}

}  // namespace

void OffsetsStream::publish_figures() {
  const kafka::ReaderProgress progress = reader_.progress();
  caught_up_.assign(static_cast<std::size_t>(std::max(0, reader_.topic_partitions())), false);
  std::vector<std::pair<std::int32_t, bool>> partitions;
  for (const auto& [p, pp] : progress.partitions) {
    partitions.emplace_back(p, pp.caught_up);
    if (p >= 0 && static_cast<std::size_t>(p) < caught_up_.size()) {
      caught_up_[static_cast<std::size_t>(p)] = pp.caught_up;
    }
  }
  std::lock_guard lock(figures_mutex_);
  figures_.records = records_;
  figures_.decoded = state_.counts();
  figures_.lag = progress.lag;
  // The first read: of everything; later (partitions taken over): of those still read.
  figures_.percent = progress.caught_up ? 100.0
                     : loaded_          ? catching_up_percent(progress)
                                        : progress.percent;
  figures_.caught_up = progress.caught_up;
  figures_.partitions = progress.partitions.size();
  figures_.groups = state_.groups().size();
  figures_.partition_caught_up = std::move(partitions);
}

StreamFigures OffsetsStream::figures() const {
  std::lock_guard lock(figures_mutex_);
  return figures_;
}

std::optional<LoadingProgress> OffsetsStream::loading() const {
  std::lock_guard lock(figures_mutex_);
  if (!loaded_) return LoadingProgress{figures_.records, figures_.percent, "reading __consumer_offsets"};
  if (figures_.caught_up) return std::nullopt;
  std::size_t behind = 0;
  for (const auto& [p, caught_up] : figures_.partition_caught_up) behind += caught_up ? 0 : 1;
  return LoadingProgress{figures_.records, figures_.percent,
                         "reading " + std::to_string(behind) +
                             " __consumer_offsets partitions taken over (their groups are "
                             "reported once read to the end)"};
}

}  // namespace ks::groups
