// The consumer-groups families in pieces decided from their inputs (group_pieces.hpp): a
// render after a change takes the unchanged pieces by fingerprint without writing their
// text, and serves exactly what a render from scratch serves, gzip and plain.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/group_pieces.hpp"
#include "exporters/prometheus/gunzip_stream.hpp"
#include "exporters/prometheus/gzip_pieces.hpp"
#include "tests/unit/group_fixtures.hpp"

using ks::GroupsSnapshot;
using ks::prom::ExpositionWriter;
using ks::prom::GzipPieces;

namespace {

std::string gunzip(const std::string& gz) {
  ks::prom::GunzipStream stream(gz);
  std::string out;
  for (std::string_view part = stream.next(1 << 20); !part.empty(); part = stream.next(1 << 20)) {
    out += part;
  }
  return out;
}

std::string render_gzip(const GroupsSnapshot& s, GzipPieces& gzip) {
  ExpositionWriter w;
  w.deflate_into(gzip);
  ks::prom::render_groups(s, w);
  return w.finish_gzip();
}

std::string render_plain(const GroupsSnapshot& s) {
  ExpositionWriter w;
  ks::prom::render_groups(s, w);
  return w.finish();
}

// The gzip of a render from scratch (a fresh GzipPieces) and its text.
void check_as_from_scratch(const GroupsSnapshot& s, const std::string& gz) {
  GzipPieces fresh;
  CHECK(gz == render_gzip(s, fresh));
  CHECK(gunzip(gz) == render_plain(s));
}

}  // namespace

TEST_CASE("unchanged group pieces are reused without their text, changed ones written anew",
          "[gzip][groups]") {
  GroupsSnapshot s = ks::testing::big_snapshot(600, 10);
  GzipPieces gzip;
  const std::string first = render_gzip(s, gzip);
  check_as_from_scratch(s, first);
  CHECK(gzip.reused_by_fingerprint() == 0);

  SECTION("the same inputs: every group piece taken by fingerprint, the same body") {
    CHECK(render_gzip(s, gzip) == first);
    CHECK(gzip.reused_by_fingerprint() > 20 * 5);  // ~9 blocks x 20 families
    CHECK(gzip.deflated() == 0);
  }

  SECTION("each kind of input changed in a few groups") {
    s.groups[3].topics[0].partitions[4].lag_since_steady_ms = ks::lag_since::for_age(2.125);  // a value
    s.groups[10].topics[0].partitions[0].committed += 1;        // another family's value
    s.groups[17].topics[0].partitions[2].lag_since_steady_ms = ks::lag_since::for_age(std::nullopt);  // a sample gone
    s.groups[25].topics[0].partitions[2].low_watermark = -1;  // several families' samples gone
    s.groups[25].topics[0].partitions[2].high_watermark = -1;  // (lag unknown)
    s.groups[40].state = "PreparingRebalance";                  // a label not in the identity
    s.groups[41].protocol = "roundrobin";
    s.groups[50].topics[0].partitions[7].status = ks::LagStatus::stall;  // status counts
    s.groups[60].name = "bench-group-100060b";                  // a group's name
    s.groups[70].topics[0].topic = "bench-topic-70b";           // a topic's name
    s.groups[80].topics[0].partitions[9].partition = 12;        // a partition's number
    {  // a sample of one family gone: expired 0, the lag still 7
      ks::GroupPartitionLag& p = s.groups[90].topics[0].partitions[9];
      p.low_watermark = p.committed;
      p.high_watermark = p.committed + 7;
    }
    s.groups.erase(s.groups.begin() + 300);                     // a group gone: blocks move
    const std::string second = render_gzip(s, gzip);
    CHECK(gzip.reused_by_fingerprint() > 0);
    CHECK(gzip.deflated() > 0);
    CHECK(second != first);
    check_as_from_scratch(s, second);
  }

  SECTION("a family that turns out of order after pieces were reused is sorted whole") {
    // A second topic: the per-partition families sort by partition before topic, so the
    // group's lines come out of order, after the pieces before it were taken by fingerprint.
    ks::GroupTopicLag extra = s.groups[500].topics[0];
    extra.topic = "bench-topic-zz";
    s.groups[500].topics.push_back(extra);
    const std::string second = render_gzip(s, gzip);
    CHECK(gzip.reused_by_fingerprint() > 0);
    check_as_from_scratch(s, second);
    // And back: the next render reuses what it can again and still serves the same body.
    const std::string third = render_gzip(s, gzip);
    check_as_from_scratch(s, third);
  }

  SECTION("a piece is not reused where its first line would come before the line before it") {
    // The last group of the first block renamed to sort after every other group, under a
    // name that still ends its block (group_pieces.hpp cuts where a name's hash says): the
    // next block is unchanged, so its fingerprint is too, but its first line now comes before
    // the line before it: it must be written anew (and the family sorted), not reused.
    const auto ends_block = [](std::string_view name) {
      return (std::hash<std::string_view>{}(name) & ks::prom::group_pieces::GroupBlocks::kCutMask) ==
             ks::prom::group_pieces::GroupBlocks::kCutMask;
    };
    std::size_t last = 0;
    while (last < s.groups.size() && !ends_block(s.groups[last].name)) ++last;
    REQUIRE(last + 1 < ks::prom::group_pieces::GroupBlocks::kMaxGroups);
    std::string late;
    for (int n = 0; late.empty() || !ends_block(late); ++n) late = "zzz-" + std::to_string(n);
    s.groups[last].name = late;
    const std::string second = render_gzip(s, gzip);
    check_as_from_scratch(s, second);
  }
}
