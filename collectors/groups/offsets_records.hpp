// Decoding of `__consumer_offsets` records: bytes in, typed record out. Pure: no I/O, no
// librdkafka, no allocation beyond the decoded strings and vectors, no exception escapes.
//
// A record's key starts with an int16 "key version" that is really the record type; the
// value (absent = tombstone) starts with its own int16 version. The layouts are Apache
// Kafka's group-coordinator schemas (group-coordinator/src/main/resources/common/message/,
// as of the 3.9 branch), encoded with Kafka's protocol rules: big-endian fixed-width
// integers; non-flexible STRING = int16 length + bytes (-1 = null), BYTES = int32 length,
// ARRAY = int32 count; flexible versions use unsigned-varint (length + 1) compact strings,
// bytes and arrays (0 = null) and end every struct with a tagged-fields section (uvarint
// count, then uvarint tag, uvarint size, size bytes each), which we skip unless we know it.
//
//   key 0, 1  OffsetCommitKey (group, topic, partition)       value OffsetCommitValue 0-4
//   key 2     GroupMetadataKey (group)                        value GroupMetadataValue 0-4
//   key 3     ConsumerGroupMetadataKey (KIP-848)              value v0 {epoch}
//   key 4     ConsumerGroupPartitionMetadataKey               skipped (subscription metadata)
//   key 5     ConsumerGroupMemberMetadataKey (group, member)  value v0 (3.8+ layout)
//   key 6     ConsumerGroupTargetAssignmentMetadataKey        skipped
//   key 7     ConsumerGroupTargetAssignmentMemberKey          skipped (target, not current)
//   key 8     ConsumerGroupCurrentMemberAssignmentKey         value v0 (3.8+ layout)
//   key 9-11  ShareGroup{PartitionMetadata,MemberMetadata,Metadata}Key (KIP-932): skipped
//   others    Unknown (4.x adds share/streams/regex records with higher numbers)
//
// Every failure is a value: a truncated or garbled record is Malformed, a version outside
// what Kafka 3.x writes is Unknown; neither ever produces an offset. A record must be
// consumed exactly: trailing bytes make it Malformed. KIP-848 member values (keys 5, 8) are
// read with the 3.8/3.9 layout; 3.5-3.7 (early access) wrote another layout under the same
// version 0, which comes out Malformed with a reason that says so.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ks::groups {

// ---- records ------------------------------------------------------------------------------

// A committed offset (key 0/1 with a value).
struct OffsetCommit {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::int32_t> leader_epoch;         // value v3+, absent when -1
  std::string metadata;
  std::int64_t commit_timestamp_ms = 0;
  std::optional<std::int64_t> expire_timestamp_ms;  // value v1 only, absent when -1
  std::int16_t key_version = 0;
  std::int16_t value_version = 0;
};

// A deleted committed offset (key 0/1, null value).
struct OffsetTombstone {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
};

struct TopicPartitions {
  std::string topic;
  std::vector<std::int32_t> partitions;
};

// What became of a classic member's assignment bytes.
enum class AssignmentState : std::uint8_t {
  decoded,       // protocol_type "consumer" and the bytes parsed: `assignment` holds them
  empty,         // zero-length bytes (e.g. during a rebalance): nothing assigned
  not_consumer,  // another protocol type (connect, ...): bytes not interpreted
  undecodable,   // "consumer" but the bytes did not parse
};

struct GroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;   // value v3+, null when not static
  std::string client_id;
  std::string client_host;
  std::optional<std::int32_t> rebalance_timeout_ms;  // value v1+
  std::int32_t session_timeout_ms = 0;
  AssignmentState assignment_state = AssignmentState::empty;
  std::int16_t assignment_version = -1;  // ConsumerProtocolAssignment version when decoded
  std::vector<TopicPartitions> assignment;
};

// A classic group's metadata (key 2 with a value).
struct GroupMetadata {
  std::string group;
  std::string protocol_type;
  std::int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  std::optional<std::int64_t> current_state_timestamp_ms;  // value v2+, absent when -1
  std::vector<GroupMember> members;
  std::int16_t value_version = 0;
};

// A classic group deleted (key 2, null value).
struct GroupTombstone {
  std::string group;
};

// KIP-848 consumer group (key 3 with a value): the group epoch.
struct ConsumerGroupMetadata {
  std::string group;
  std::int32_t epoch = 0;
};

// KIP-848 consumer group deleted (key 3, null value).
struct ConsumerGroupTombstone {
  std::string group;
};

// KIP-848 member metadata (key 5 with a value, 3.8+ layout).
struct ConsumerGroupMember {
  std::string group;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  std::int32_t rebalance_timeout_ms = -1;
  std::optional<std::string> server_assignor;
  // Tag 0 (ClassicMemberMetadata): present when the member joined with the classic
  // protocol into a consumer group (an upgraded group); its session timeout when parseable.
  bool classic_member = false;
  std::optional<std::int32_t> classic_session_timeout_ms;
};

using Uuid = std::array<std::byte, 16>;

// KIP-848 partitions are named by topic ID (a UUID), not by topic name: the caller maps
// IDs to names from metadata if it needs names.
struct TopicIdPartitions {
  Uuid topic_id{};
  std::vector<std::int32_t> partitions;
};

// KIP-848 member's current assignment (key 8 with a value, 3.8+ layout).
struct ConsumerGroupMemberAssignment {
  std::string group;
  std::string member_id;
  std::int32_t member_epoch = 0;
  std::int32_t previous_member_epoch = 0;
  std::int8_t state = 0;  // Kafka's MemberState id (0 stable, 1 unrevoked, 2 unreleased, ...)
  std::vector<TopicIdPartitions> assigned;
  std::vector<TopicIdPartitions> pending_revocation;
};

// KIP-848 member left (key 5 or 8, null value).
struct ConsumerGroupMemberTombstone {
  std::string group;
  std::string member_id;
  std::int16_t key_version = 0;  // 5: member metadata, 8: current assignment
};

// A record type a monitor does not need (valid key, value not interpreted).
struct Skipped {
  std::int16_t key_version = 0;
  std::string group;
  std::string_view reason;  // static text
};

// A key or value version that is not in Kafka 3.x's schemas: counted, never guessed.
struct Unknown {
  std::int16_t key_version = 0;
  std::optional<std::int16_t> value_version;  // set when the key was known, the value not
  std::string reason;
};

// Truncated or garbled bytes.
struct Malformed {
  std::string reason;
};

using OffsetsRecord =
    std::variant<OffsetCommit, OffsetTombstone, GroupMetadata, GroupTombstone,
                 ConsumerGroupMetadata, ConsumerGroupTombstone, ConsumerGroupMember,
                 ConsumerGroupMemberAssignment, ConsumerGroupMemberTombstone, Skipped, Unknown,
                 Malformed>;

// Decodes one `__consumer_offsets` record. `value` is std::nullopt for a tombstone (a null
// value); an empty but present value is Malformed. Never throws.
OffsetsRecord decode_offsets_record(std::span<const std::byte> key,
                                    std::optional<std::span<const std::byte>> value) noexcept;

// ConsumerProtocolAssignment bytes (versions 0-3 share one layout: int16 version,
// [topic STRING, [partition int32]], user_data nullable BYTES). A higher version is read
// with that layout and the rest ignored, as Kafka's own ConsumerProtocol does; a negative
// version, truncated bytes or a lower version fail. Returns the version and partitions.
struct ConsumerAssignment {
  std::int16_t version = 0;
  std::vector<TopicPartitions> partitions;
};
std::optional<ConsumerAssignment> decode_consumer_assignment(
    std::span<const std::byte> bytes) noexcept;

// Counts of decoded records per outcome, for self-metrics and /readyz.
struct OffsetsDecodeCounts {
  std::uint64_t offset_commits = 0;
  std::uint64_t offset_tombstones = 0;
  std::uint64_t group_metadata = 0;
  std::uint64_t group_tombstones = 0;
  std::uint64_t consumer_group_records = 0;  // any KIP-848 record decoded (incl. tombstones)
  std::uint64_t skipped = 0;
  std::uint64_t unknown = 0;
  std::uint64_t malformed = 0;

  void add(const OffsetsRecord& record) noexcept;
  std::uint64_t total() const noexcept {
    return offset_commits + offset_tombstones + group_metadata + group_tombstones +
           consumer_group_records + skipped + unknown + malformed;
  }
};

}  // namespace ks::groups
