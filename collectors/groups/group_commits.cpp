#include "collectors/groups/group_commits.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace ks::groups {
namespace {

bool before(const StoredCommit& c, std::pair<std::uint32_t, std::int32_t> key) {
  return std::pair(c.topic, c.partition) < key;
}

}  // namespace

std::vector<StoredCommit>::iterator GroupCommits::position(std::uint32_t topic,
                                                           std::int32_t partition) {
  const std::pair key(topic, partition);
  // Commits mostly come in order (a consumer commits its partitions in turn, the stream is
  // read from its beginning): the end is the usual place, checked first.
  if (entries_.empty() || before(entries_.back(), key)) return entries_.end();
  return std::lower_bound(entries_.begin(), entries_.end(), key, before);
}

std::uint32_t GroupCommits::topic_index(std::string_view topic) {
  const auto it = std::find(topics_.begin(), topics_.end(), topic);
  if (it != topics_.end()) return static_cast<std::uint32_t>(it - topics_.begin());
  topics_.emplace_back(topic);
  return static_cast<std::uint32_t>(topics_.size() - 1);
}

void GroupCommits::set(std::string_view topic, std::int32_t partition, CommitPoint commit,
                       std::size_t window) {
  const std::uint32_t t = topic_index(topic);
  auto it = position(t, partition);
  if (it == entries_.end() || it->topic != t || it->partition != partition) {
    it = entries_.insert(it, StoredCommit{t, partition});
  }
  it->offset = commit.offset;
  it->commit_timestamp_ms = commit.commit_timestamp_ms;
  if (!it->untaken) it->untaken = std::make_unique<std::vector<CommitPoint>>();
  std::vector<CommitPoint>& untaken = *it->untaken;
  if (untaken.size() >= std::max<std::size_t>(window, 1)) untaken.erase(untaken.begin());
  untaken.push_back(commit);
}

bool GroupCommits::erase(std::string_view topic, std::int32_t partition) {
  const auto name = std::find(topics_.begin(), topics_.end(), topic);
  if (name == topics_.end()) return false;
  const auto t = static_cast<std::uint32_t>(name - topics_.begin());
  const auto it = position(t, partition);
  if (it == entries_.end() || it->topic != t || it->partition != partition) return false;
  entries_.erase(it);
  drop_topic_if_unused(t);
  return true;
}

// A topic index no commit uses any more: its name goes and the later indexes move down one.
void GroupCommits::drop_topic_if_unused(std::uint32_t topic) {
  const bool used = std::any_of(entries_.begin(), entries_.end(),
                                [topic](const StoredCommit& c) { return c.topic == topic; });
  if (used) return;
  topics_.erase(topics_.begin() + topic);
  for (StoredCommit& c : entries_) {
    if (c.topic > topic) --c.topic;  // order kept: every later topic moves down together
  }
  if (entries_.empty()) {
    std::vector<StoredCommit>().swap(entries_);
    std::vector<std::string>().swap(topics_);
  }
}

StoredCommit* GroupCommits::find(std::string_view topic, std::int32_t partition) {
  const auto name = std::find(topics_.begin(), topics_.end(), topic);
  if (name == topics_.end()) return nullptr;
  const auto it = position(static_cast<std::uint32_t>(name - topics_.begin()), partition);
  if (it == entries_.end() || topics_[it->topic] != topic || it->partition != partition) {
    return nullptr;
  }
  return &*it;
}

const StoredCommit* GroupCommits::find(std::string_view topic, std::int32_t partition) const {
  return const_cast<GroupCommits*>(this)->find(topic, partition);
}

std::vector<CommitPoint> GroupCommits::take(StoredCommit& commit) {
  if (!commit.untaken) return {};
  std::vector<CommitPoint> taken = std::move(*commit.untaken);
  commit.untaken.reset();
  return taken;
}

void GroupCommits::shrink_to_fit() {
  entries_.shrink_to_fit();
  topics_.shrink_to_fit();
}

std::size_t GroupCommits::heap_bytes() const {
  std::size_t bytes = entries_.capacity() * sizeof(StoredCommit) +
                      topics_.capacity() * sizeof(std::string);
  for (const std::string& t : topics_) {
    if (t.capacity() > 15) bytes += t.capacity() + 1;  // beyond the string's inline buffer
  }
  for (const StoredCommit& c : entries_) {
    if (c.untaken) bytes += sizeof(*c.untaken) + c.untaken->capacity() * sizeof(CommitPoint);
  }
  return bytes;
}

}  // namespace ks::groups
