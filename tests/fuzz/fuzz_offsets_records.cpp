// libFuzzer target for the __consumer_offsets record decoder (collectors/groups/
// offsets_records.hpp). Built and run by `make fuzz`; its corpus and crashes are replayed by
// ctest (fuzz/replay-offsets_records), see tests/fuzz/CMakeLists.txt.
//
// Input layout: 2 bytes key length (big-endian; clamped to what is there), 1 flag byte
// (bit 0 set: the value is present, else the record is a tombstone), then the key, then the
// value (the rest). The seed corpus holds real records from a Kafka 3.9.2 broker in this
// layout (tests/fixtures/offsets_records/kafka-3.9.2.hex).
//
// Beyond "no crash, no sanitizer report", it checks what the decoder promises: decoding is
// deterministic, and an offset commit only comes from key version 0/1 with value version
// 0-4 whose value is exactly long enough to hold what was decoded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <variant>

#include "collectors/groups/offsets_records.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::size_t compact_string_size(std::size_t n) {
  std::size_t size = 1;
  for (auto v = n + 1; v >= 0x80; v >>= 7) ++size;
  return size + n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  std::size_t key_len = (static_cast<std::size_t>(data[0]) << 8) | data[1];
  const bool has_value = (data[2] & 1) != 0;
  const std::span<const std::byte> rest(bytes + 3, size - 3);
  if (key_len > rest.size()) key_len = rest.size();
  const auto key = rest.first(key_len);
  std::optional<std::span<const std::byte>> value;
  if (has_value) value = rest.subspan(key_len);

  using namespace ks::groups;
  const auto record = decode_offsets_record(key, value);
  const auto again = decode_offsets_record(key, value);
  check(record.index() == again.index());

  if (const auto* c = std::get_if<OffsetCommit>(&record)) {
    check(value.has_value());
    check(c->key_version == 0 || c->key_version == 1);
    check(c->value_version >= 0 && c->value_version <= 4);
    const auto& again_commit = std::get<OffsetCommit>(again);
    check(again_commit.offset == c->offset && again_commit.partition == c->partition &&
          again_commit.group == c->group && again_commit.topic == c->topic);
    // The key holds exactly: version, group, topic, partition.
    check(key.size() == 2 + 2 + c->group.size() + 2 + c->topic.size() + 4);
    // The value holds at least: version, offset, [epoch], metadata, timestamp, [expire].
    std::size_t min = 2 + 8 + 8;
    if (c->value_version >= 3) min += 4;
    if (c->value_version == 1) min += 8;
    min += c->value_version >= 4 ? compact_string_size(c->metadata.size()) + 1
                                 : 2 + c->metadata.size();
    if (c->value_version < 4) check(value->size() == min);
    else check(value->size() >= min);
  }
  if (const auto* g = std::get_if<GroupMetadata>(&record)) {
    check(value.has_value() && g->value_version >= 0 && g->value_version <= 4);
    for (const auto& m : g->members) {
      if (m.assignment_state != AssignmentState::decoded) check(m.assignment.empty());
    }
  }
  if (std::holds_alternative<OffsetTombstone>(record) ||
      std::holds_alternative<GroupTombstone>(record) ||
      std::holds_alternative<ConsumerGroupTombstone>(record) ||
      std::holds_alternative<ConsumerGroupMemberTombstone>(record)) {
    check(!value.has_value());
  }
  // The assignment decoder on its own, on the same bytes.
  if (value) (void)decode_consumer_assignment(*value);
  return 0;
}
