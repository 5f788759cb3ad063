// The consumer-groups families written in pieces decided from their inputs: a family's
// samples of a run of groups (a block) are one piece of the body, fingerprinted from what
// their text is made of (the groups' names, topics and partitions, each sample's value and
// which sample it is). When the last body had a piece of that fingerprint, its deflated
// bytes are taken again and no text is written (ExpositionWriter::reuse_piece).
//
// Why: between two groups cycles most families do not change (committed offsets, lag and
// statuses of groups that did not move), yet formatting their text was a third of the
// agent's CPU at 2,000 groups (docs/performance.md, "Fourth pass: render"). Keeping the
// previous text instead would cost the body's size in memory (~100 MB at 20,000 groups);
// a fingerprint costs 32 B a piece.
//
// Blocks are cut where a group's name hash says (about 64 groups each, at most 256), not every
// N groups: a group that appears or goes changes its own block, not every block after it.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/groups_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_families.hpp"

namespace ks::prom::group_pieces {

// A 64-bit fingerprint, mixed value by value (each step a bijection of the state for a
// given value, so two different sequences collide only by chance: ~2^-64 per pair).
class Fingerprint {
 public:
  explicit Fingerprint(std::uint64_t seed = 0) : h_(seed) {}
  void mix(std::uint64_t v) {
    h_ = std::rotl((h_ ^ finalize(v)) * 0x9e3779b97f4a7c15ULL, 31) + 0x632be59bd9b4e019ULL;
  }
  void mix(std::string_view text) {
    mix(static_cast<std::uint64_t>(std::hash<std::string_view>{}(text)));
    mix(static_cast<std::uint64_t>(text.size()));
  }
  void mix(double value) { mix(std::bit_cast<std::uint64_t>(value)); }
  std::uint64_t value() const { return finalize(h_); }

 private:
  static std::uint64_t finalize(std::uint64_t z) {  // splitmix64's
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t h_;
};

// The snapshot's groups in blocks, and each group's identity: its name, topics and
// partitions (the labels of its samples, but for the per-sample ones like status).
struct GroupBlocks {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) in groups
  std::vector<std::uint64_t> identity;                       // per group

  static constexpr std::uint64_t kCutMask = 63;  // a block ends after ~1 group in 64
  static constexpr std::size_t kMaxGroups = 256;

  GroupBlocks() = default;  // none: for a writer that does not reuse pieces
  explicit GroupBlocks(const GroupsSnapshot& s) {
    identity.reserve(s.groups.size());
    std::size_t begin = 0;
    for (std::size_t i = 0; i < s.groups.size(); ++i) {
      const GroupLag& g = s.groups[i];
      const auto name_hash = static_cast<std::uint64_t>(std::hash<std::string_view>{}(g.name));
      Fingerprint id(name_hash);
      id.mix(g.name);
      for (const GroupTopicLag& t : g.topics) {
        id.mix(std::string_view(t.topic));
        id.mix(static_cast<std::uint64_t>(t.partitions.size()));
        for (const GroupPartitionLag& p : t.partitions) {
          id.mix(static_cast<std::uint64_t>(static_cast<std::uint32_t>(p.partition)));
        }
      }
      id.mix(static_cast<std::uint64_t>(g.topics.size()));
      identity.push_back(id.value());
      if ((name_hash & kCutMask) == kCutMask || i + 1 - begin >= kMaxGroups ||
          i + 1 == s.groups.size()) {
        ranges.emplace_back(begin, i + 1);
        begin = i + 1;
      }
    }
  }
};

// The writer and the families the operator chose: every family goes through select().
struct Out {
  ExpositionWriter& writer;
  const GroupFamilySelection& families;

  bool enabled(const GroupFamily& family) const { return families.enabled(family); }
  void select(const GroupFamily& family) const {
    writer.family(family.name, family.help, family.type, family.format);
  }
};

// A sample's labels copied (the first and last of a block, for the writer's order check).
class OwnedLabels {
 public:
  void assign(std::span<const Label> labels) {
    names_.clear();
    values_.clear();
    for (const Label& l : labels) {
      names_.push_back(l.name);  // the renderer's literals
      values_.emplace_back(l.value);
    }
  }
  std::span<const Label> labels() {
    labels_.clear();
    for (std::size_t i = 0; i < names_.size(); ++i) labels_.push_back({names_[i], values_[i]});
    return labels_;
  }

 private:
  std::vector<std::string_view> names_;
  std::vector<std::string> values_;
  std::vector<Label> labels_;
};

// One family: `each(group, emit)` calls emit(labels, value, slot) for every sample of the
// group, in the order they are written; `slot` tells the sample apart from the group's other
// samples of the family (partition, topic index, status, label values not in the identity):
// given the group's identity, (slot, value) must determine the sample's text.
// A family is selected only once it has a sample: the exposition lists no family without one.
template <class Each>
void render_family(const GroupsSnapshot& s, const GroupBlocks& blocks, const GroupFamily& f,
                   const Out& out, Each each) {
  if (!out.enabled(f)) return;
  bool selected = false;
  const auto write = [&](const GroupLag& g) {
    each(g, [&](std::span<const Label> labels, double value, std::uint64_t) {
      if (!selected) {
        out.select(f);
        selected = true;
      }
      out.writer.sample(labels, value);
    });
  };
  if (!out.writer.reuses_pieces()) {  // nothing to reuse: no fingerprints
    for (const GroupLag& g : s.groups) write(g);
    return;
  }
  OwnedLabels first;
  OwnedLabels last;
  for (const auto& [begin, end] : blocks.ranges) {
    Fingerprint fp;
    fp.mix(f.name);
    std::size_t samples = 0;
    std::size_t last_group = begin;
    for (std::size_t i = begin; i < end; ++i) {
      fp.mix(blocks.identity[i]);
      std::size_t of_group = 0;
      each(s.groups[i], [&](std::span<const Label> labels, double value, std::uint64_t slot) {
        fp.mix(slot);
        fp.mix(value);
        if (samples == 0) first.assign(labels);
        ++samples;
        ++of_group;
      });
      fp.mix(static_cast<std::uint64_t>(of_group));
      if (of_group > 0) last_group = i;
    }
    if (samples == 0) continue;
    if (!selected) {
      out.select(f);
      selected = true;
    }
    each(s.groups[last_group],
         [&](std::span<const Label> labels, double, std::uint64_t) { last.assign(labels); });
    const std::uint64_t fingerprint = fp.value();
    if (out.writer.reuse_piece(fingerprint, samples, first.labels(), last.labels())) continue;
    out.writer.begin_piece();
    for (std::size_t i = begin; i < end; ++i) write(s.groups[i]);
    out.writer.end_piece(fingerprint);
  }
}

}  // namespace ks::prom::group_pieces
