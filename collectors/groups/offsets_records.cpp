#include "collectors/groups/offsets_records.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

namespace ks::groups {
namespace {

// Bounds-checked big-endian reader over one buffer. The first failure sticks: later reads
// return zero values and the error names the first field that failed, so a decoder reads a
// run of fields and checks once. It never reads past the end of its span.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}

  bool failed() const noexcept { return failed_; }
  const std::string& error() const noexcept { return error_; }
  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return failed_ ? 0 : bytes_.size() - pos_; }

  void fail(std::string_view what) {
    if (failed_) return;
    failed_ = true;
    error_.assign(what);
    error_ += " at byte ";
    error_ += std::to_string(pos_);
  }

  // Fails unless every byte was consumed.
  void expect_end(std::string_view what) {
    if (!failed_ && pos_ != bytes_.size()) {
      fail(std::string(what) + ": " + std::to_string(bytes_.size() - pos_) + " trailing bytes");
    }
  }

  std::span<const std::byte> take(std::size_t n, std::string_view what) {
    if (failed_) return {};
    if (n > bytes_.size() - pos_) {
      fail(std::string("truncated ") + std::string(what));
      return {};
    }
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  template <typename T>
  T be(std::string_view what) {
    static_assert(std::is_integral_v<T>);
    const auto raw = take(sizeof(T), what);
    if (raw.size() != sizeof(T)) return T{};
    std::make_unsigned_t<T> v = 0;
    for (const std::byte b : raw) {
      v = static_cast<std::make_unsigned_t<T>>((v << 8) | std::to_integer<std::uint8_t>(b));
    }
    return static_cast<T>(v);
  }

  std::int8_t i8(std::string_view what) { return be<std::int8_t>(what); }
  std::int16_t i16(std::string_view what) { return be<std::int16_t>(what); }
  std::int32_t i32(std::string_view what) { return be<std::int32_t>(what); }
  std::int64_t i64(std::string_view what) { return be<std::int64_t>(what); }

  // Kafka's unsigned varint: 7 bits a byte, low first, at most 5 bytes, 32 bits.
  std::uint32_t uvarint(std::string_view what) {
    std::uint32_t v = 0;
    for (int i = 0; i < 5; ++i) {
      const auto raw = take(1, what);
      if (raw.empty()) return 0;
      const auto b = std::to_integer<std::uint32_t>(raw[0]);
      if (i == 4 && (b & 0xF0u) != 0) {
        fail(std::string("varint overflow in ") + std::string(what));
        return 0;
      }
      v |= (b & 0x7Fu) << (7 * i);
      if ((b & 0x80u) == 0) return v;
    }
    fail(std::string("varint too long in ") + std::string(what));
    return 0;
  }

  // STRING / NULLABLE_STRING (int16 length, -1 null) or COMPACT_[NULLABLE_]STRING
  // (uvarint length + 1, 0 null). std::nullopt for null (or after a failure).
  std::optional<std::string> nullable_string(bool flexible, std::string_view what) {
    std::int64_t len = 0;
    if (flexible) {
      len = static_cast<std::int64_t>(uvarint(what)) - 1;
    } else {
      len = i16(what);
    }
    if (failed_) return std::nullopt;
    if (len < 0) {
      if (len != -1) fail(std::string("negative length of ") + std::string(what));
      return std::nullopt;
    }
    const auto raw = take(static_cast<std::size_t>(len), what);
    if (failed_) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
  }

  std::string string(bool flexible, std::string_view what) {
    auto s = nullable_string(flexible, what);
    if (!s) {
      fail(std::string("null ") + std::string(what));
      return {};
    }
    return std::move(*s);
  }

  // BYTES (int32 length) or COMPACT_BYTES (uvarint length + 1); null fails unless
  // `nullable`, then it reads as empty with *was_null set.
  std::span<const std::byte> bytes(bool flexible, std::string_view what, bool nullable = false,
                                   bool* was_null = nullptr) {
    std::int64_t len = 0;
    if (flexible) {
      len = static_cast<std::int64_t>(uvarint(what)) - 1;
    } else {
      len = i32(what);
    }
    if (failed_) return {};
    if (was_null) *was_null = false;
    if (len < 0) {
      if (len == -1 && nullable) {
        if (was_null) *was_null = true;
      } else {
        fail(std::string(len == -1 ? "null " : "negative length of ") + std::string(what));
      }
      return {};
    }
    return take(static_cast<std::size_t>(len), what);
  }

  // ARRAY (int32 count) or COMPACT_ARRAY (uvarint count + 1). Null fails (none of the
  // arrays we read is nullable). The count is checked against the bytes left, given each
  // element's smallest encoding, so a garbled count cannot make a caller loop or reserve.
  std::size_t array_count(bool flexible, std::size_t min_element_size, std::string_view what) {
    std::int64_t n = 0;
    if (flexible) {
      n = static_cast<std::int64_t>(uvarint(what)) - 1;
    } else {
      n = i32(what);
    }
    if (failed_) return 0;
    if (n < 0) {
      fail(std::string(n == -1 ? "null " : "negative count of ") + std::string(what));
      return 0;
    }
    const auto count = static_cast<std::size_t>(n);
    if (min_element_size > 0 && count > remaining() / min_element_size) {
      fail(std::string("count of ") + std::string(what) + " exceeds the bytes left");
      return 0;
    }
    return count;
  }

  // A tagged-fields section: uvarint count, then (uvarint tag, uvarint size, bytes) each.
  // `on_tag(tag, payload)` sees each one; unknown tags are simply skipped.
  template <typename OnTag>
  void tagged_fields(std::string_view what, OnTag&& on_tag) {
    const auto count = uvarint(what);
    if (failed_) return;
    if (count > remaining() / 2) {  // each tagged field takes at least 2 bytes
      fail(std::string("tagged field count of ") + std::string(what) + " exceeds the bytes left");
      return;
    }
    for (std::uint32_t i = 0; i < count && !failed_; ++i) {
      const auto tag = uvarint(what);
      const auto size = uvarint(what);
      const auto payload = take(size, what);
      if (!failed_) on_tag(tag, payload);
    }
  }

  void skip_tagged_fields(std::string_view what) {
    tagged_fields(what, [](std::uint32_t, std::span<const std::byte>) {});
  }

  std::vector<std::int32_t> int32_array(bool flexible, std::string_view what) {
    const auto n = array_count(flexible, 4, what);
    std::vector<std::int32_t> out;
    if (failed_) return out;
    out.reserve(n);
    for (std::size_t i = 0; i < n && !failed_; ++i) out.push_back(i32(what));
    return out;
  }

  Uuid uuid(std::string_view what) {
    Uuid out{};
    const auto raw = take(out.size(), what);
    if (raw.size() == out.size()) std::copy(raw.begin(), raw.end(), out.begin());
    return out;
  }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
};

Malformed malformed(const Reader& r, std::string_view where) {
  return Malformed{std::string(where) + ": " + r.error()};
}

Unknown unknown_value(std::int16_t key_version, std::int16_t value_version,
                      std::string_view record, int max_known) {
  std::string reason(record);
  reason += " value version ";
  reason += std::to_string(value_version);
  reason += " is not one Kafka 3.x writes (known: 0";
  if (max_known > 0) reason += "-" + std::to_string(max_known);
  reason += ")";
  return Unknown{key_version, value_version, std::move(reason)};
}

// ---- offset commits (key 0/1) -------------------------------------------------------------

OffsetsRecord decode_offset_commit(Reader& key, std::int16_t key_version,
                                   const std::optional<std::span<const std::byte>>& value) {
  OffsetCommit c;
  c.key_version = key_version;
  c.group = key.string(false, "group");
  c.topic = key.string(false, "topic");
  c.partition = key.i32("partition");
  key.expect_end("OffsetCommitKey");
  if (key.failed()) return malformed(key, "OffsetCommitKey");
  if (!value) return OffsetTombstone{std::move(c.group), std::move(c.topic), c.partition};

  Reader r(*value);
  const auto version = r.i16("value version");
  if (r.failed()) return malformed(r, "OffsetCommitValue");
  if (version < 0 || version > 4) return unknown_value(key_version, version, "OffsetCommitValue", 4);
  c.value_version = version;
  const bool flexible = version >= 4;
  c.offset = r.i64("offset");
  if (version >= 3) {
    const auto epoch = r.i32("leader epoch");
    if (epoch != -1) c.leader_epoch = epoch;
  }
  c.metadata = r.string(flexible, "metadata");
  c.commit_timestamp_ms = r.i64("commit timestamp");
  if (version == 1) {
    const auto expire = r.i64("expire timestamp");
    if (expire != -1) c.expire_timestamp_ms = expire;
  }
  if (flexible) r.skip_tagged_fields("tagged fields");
  r.expect_end("OffsetCommitValue");
  if (r.failed()) return malformed(r, "OffsetCommitValue v" + std::to_string(version));
  return c;
}

// ---- classic group metadata (key 2) -------------------------------------------------------

void decode_member_assignment(std::string_view protocol_type, std::span<const std::byte> bytes,
                              GroupMember& m) {
  if (bytes.empty()) {
    m.assignment_state = AssignmentState::empty;
  } else if (protocol_type != "consumer") {
    m.assignment_state = AssignmentState::not_consumer;
  } else if (auto a = decode_consumer_assignment(bytes)) {
    m.assignment_state = AssignmentState::decoded;
    m.assignment_version = a->version;
    m.assignment = std::move(a->partitions);
  } else {
    m.assignment_state = AssignmentState::undecodable;
  }
}

OffsetsRecord decode_group_metadata(Reader& key,
                                    const std::optional<std::span<const std::byte>>& value) {
  GroupMetadata g;
  g.group = key.string(false, "group");
  key.expect_end("GroupMetadataKey");
  if (key.failed()) return malformed(key, "GroupMetadataKey");
  if (!value) return GroupTombstone{std::move(g.group)};

  Reader r(*value);
  const auto version = r.i16("value version");
  if (r.failed()) return malformed(r, "GroupMetadataValue");
  if (version < 0 || version > 4) return unknown_value(2, version, "GroupMetadataValue", 4);
  g.value_version = version;
  const bool flexible = version >= 4;
  g.protocol_type = r.string(flexible, "protocol type");
  g.generation = r.i32("generation");
  g.protocol = r.nullable_string(flexible, "protocol");
  g.leader = r.nullable_string(flexible, "leader");
  if (version >= 2) {
    const auto ts = r.i64("current state timestamp");
    if (ts != -1) g.current_state_timestamp_ms = ts;
  }
  // A member takes at least: strings (2 or 1 bytes each) x3, session timeout 4, bytes x2.
  const std::size_t min_member = flexible ? 1 + 1 + 1 + 4 + 1 + 1 + 1 : 2 + 2 + 2 + 4 + 4 + 4;
  const auto n = r.array_count(flexible, min_member, "members");
  if (!r.failed()) g.members.reserve(n);
  for (std::size_t i = 0; i < n && !r.failed(); ++i) {
    GroupMember m;
    m.member_id = r.string(flexible, "member id");
    if (version >= 3) m.group_instance_id = r.nullable_string(flexible, "group instance id");
    m.client_id = r.string(flexible, "client id");
    m.client_host = r.string(flexible, "client host");
    if (version >= 1) m.rebalance_timeout_ms = r.i32("rebalance timeout");
    m.session_timeout_ms = r.i32("session timeout");
    r.bytes(flexible, "subscription");
    const auto assignment = r.bytes(flexible, "assignment");
    if (flexible) r.skip_tagged_fields("member tagged fields");
    if (r.failed()) break;
    decode_member_assignment(g.protocol_type, assignment, m);
    g.members.push_back(std::move(m));
  }
  if (flexible) r.skip_tagged_fields("tagged fields");
  r.expect_end("GroupMetadataValue");
  if (r.failed()) return malformed(r, "GroupMetadataValue v" + std::to_string(version));
  return g;
}

// ---- KIP-848 consumer groups (keys 3, 5, 8) -----------------------------------------------

// Reads the version of a KIP-848 value, all of which are v0 (flexible) in Kafka 3.x.
std::optional<OffsetsRecord> check_v0(Reader& r, std::int16_t key_version, std::string_view name) {
  const auto version = r.i16("value version");
  if (r.failed()) return OffsetsRecord{malformed(r, name)};
  if (version != 0) return OffsetsRecord{unknown_value(key_version, version, name, 0)};
  return std::nullopt;
}

std::vector<TopicIdPartitions> topic_id_partitions(Reader& r, std::string_view what) {
  std::vector<TopicIdPartitions> out;
  // uuid 16 + compact array 1 + tags 1
  const auto n = r.array_count(true, 18, what);
  if (r.failed()) return out;
  out.reserve(n);
  for (std::size_t i = 0; i < n && !r.failed(); ++i) {
    TopicIdPartitions t;
    t.topic_id = r.uuid("topic id");
    t.partitions = r.int32_array(true, "partitions");
    r.skip_tagged_fields("topic partitions tagged fields");
    out.push_back(std::move(t));
  }
  return out;
}

OffsetsRecord decode_consumer_group_metadata(Reader& key,
                                             const std::optional<std::span<const std::byte>>& value) {
  auto group = key.string(false, "group id");
  key.expect_end("ConsumerGroupMetadataKey");
  if (key.failed()) return malformed(key, "ConsumerGroupMetadataKey");
  if (!value) return ConsumerGroupTombstone{std::move(group)};
  Reader r(*value);
  if (auto early = check_v0(r, 3, "ConsumerGroupMetadataValue")) return std::move(*early);
  ConsumerGroupMetadata m;
  m.group = std::move(group);
  m.epoch = r.i32("epoch");
  r.skip_tagged_fields("tagged fields");
  r.expect_end("ConsumerGroupMetadataValue");
  if (r.failed()) return malformed(r, "ConsumerGroupMetadataValue v0");
  return m;
}

// Keys 5 and 8 also carry the member id. Their v0 values changed layout while KIP-848 was in
// early access (3.5-3.7 wrote other fields under the same version 0); we decode the layout of
// 3.8 and 3.9, and a value that does not parse exactly as that layout is Malformed, with a
// reason that says it may be an early-access record.
Malformed layout_mismatch(std::string_view name, const Reader& r) {
  return Malformed{std::string(name) + " v0: " + r.error() +
                   " (not the Kafka 3.8+ layout: truncated, garbled, or written by a 3.5-3.7"
                   " early-access broker)"};
}

OffsetsRecord decode_consumer_group_member(Reader& key,
                                           const std::optional<std::span<const std::byte>>& value) {
  auto group = key.string(false, "group id");
  auto member = key.string(false, "member id");
  key.expect_end("ConsumerGroupMemberMetadataKey");
  if (key.failed()) return malformed(key, "ConsumerGroupMemberMetadataKey");
  if (!value) return ConsumerGroupMemberTombstone{std::move(group), std::move(member), 5};
  Reader r(*value);
  if (auto early = check_v0(r, 5, "ConsumerGroupMemberMetadataValue")) return std::move(*early);
  ConsumerGroupMember m;
  m.group = std::move(group);
  m.member_id = std::move(member);
  m.instance_id = r.nullable_string(true, "instance id");
  m.rack_id = r.nullable_string(true, "rack id");
  m.client_id = r.string(true, "client id");
  m.client_host = r.string(true, "client host");
  const auto n = r.array_count(true, 1, "subscribed topic names");
  if (!r.failed()) m.subscribed_topic_names.reserve(n);
  for (std::size_t i = 0; i < n && !r.failed(); ++i) {
    m.subscribed_topic_names.push_back(r.string(true, "subscribed topic name"));
  }
  m.subscribed_topic_regex = r.nullable_string(true, "subscribed topic regex");
  m.rebalance_timeout_ms = r.i32("rebalance timeout");
  m.server_assignor = r.nullable_string(true, "server assignor");
  r.tagged_fields("tagged fields", [&m](std::uint32_t tag, std::span<const std::byte> payload) {
    if (tag != 0) return;  // tag 0: ClassicMemberMetadata, a nullable struct
    Reader t(payload);
    const auto present = t.uvarint("classic member presence");
    if (t.failed() || present == 0) return;
    m.classic_member = true;
    const auto session_timeout = t.i32("classic session timeout");
    if (!t.failed()) m.classic_session_timeout_ms = session_timeout;
  });
  r.expect_end("ConsumerGroupMemberMetadataValue");
  if (r.failed()) return layout_mismatch("ConsumerGroupMemberMetadataValue", r);
  return m;
}

OffsetsRecord decode_consumer_group_assignment(
    Reader& key, const std::optional<std::span<const std::byte>>& value) {
  auto group = key.string(false, "group id");
  auto member = key.string(false, "member id");
  key.expect_end("ConsumerGroupCurrentMemberAssignmentKey");
  if (key.failed()) return malformed(key, "ConsumerGroupCurrentMemberAssignmentKey");
  if (!value) return ConsumerGroupMemberTombstone{std::move(group), std::move(member), 8};
  Reader r(*value);
  if (auto early = check_v0(r, 8, "ConsumerGroupCurrentMemberAssignmentValue")) {
    return std::move(*early);
  }
  ConsumerGroupMemberAssignment a;
  a.group = std::move(group);
  a.member_id = std::move(member);
  a.member_epoch = r.i32("member epoch");
  a.previous_member_epoch = r.i32("previous member epoch");
  a.state = r.i8("state");
  a.assigned = topic_id_partitions(r, "assigned partitions");
  a.pending_revocation = topic_id_partitions(r, "partitions pending revocation");
  r.skip_tagged_fields("tagged fields");
  r.expect_end("ConsumerGroupCurrentMemberAssignmentValue");
  if (r.failed()) return layout_mismatch("ConsumerGroupCurrentMemberAssignmentValue", r);
  return a;
}

// Records with a group-id key whose value a monitor does not need.
OffsetsRecord skip_group_record(Reader& key, std::int16_t key_version, bool has_member_id,
                                std::string_view name, std::string_view reason) {
  auto group = key.string(false, "group id");
  if (has_member_id) key.string(false, "member id");
  key.expect_end(name);
  if (key.failed()) return malformed(key, name);
  return Skipped{key_version, std::move(group), reason};
}

OffsetsRecord decode(std::span<const std::byte> key_bytes,
                     const std::optional<std::span<const std::byte>>& value) {
  Reader key(key_bytes);
  const auto key_version = key.i16("key version");
  if (key.failed()) return malformed(key, "key");
  switch (key_version) {
    case 0:
    case 1:
      return decode_offset_commit(key, key_version, value);
    case 2:
      return decode_group_metadata(key, value);
    case 3:
      return decode_consumer_group_metadata(key, value);
    case 4:
      return skip_group_record(key, 4, false, "ConsumerGroupPartitionMetadataKey",
                               "consumer group partition metadata (subscribed topics' metadata)");
    case 5:
      return decode_consumer_group_member(key, value);
    case 6:
      return skip_group_record(key, 6, false, "ConsumerGroupTargetAssignmentMetadataKey",
                               "consumer group target assignment epoch");
    case 7:
      return skip_group_record(key, 7, true, "ConsumerGroupTargetAssignmentMemberKey",
                               "consumer group target assignment (the current one is decoded)");
    case 8:
      return decode_consumer_group_assignment(key, value);
    case 9:
      return skip_group_record(key, 9, false, "ShareGroupPartitionMetadataKey",
                               "share group record (KIP-932)");
    case 10:
      return skip_group_record(key, 10, true, "ShareGroupMemberMetadataKey",
                               "share group record (KIP-932)");
    case 11:
      return skip_group_record(key, 11, false, "ShareGroupMetadataKey",
                               "share group record (KIP-932)");
    default:
      return Unknown{key_version, std::nullopt,
                     "key version " + std::to_string(key_version) +
                         " is not a record type Kafka 3.x writes (known: 0-11)"};
  }
}

}  // namespace

OffsetsRecord decode_offsets_record(std::span<const std::byte> key,
                                    std::optional<std::span<const std::byte>> value) noexcept {
  try {
    return decode(key, value);
  } catch (const std::bad_alloc&) {
    return Malformed{};  // lengths are bounded by the input, so only a host out of memory
  }
}

std::optional<ConsumerAssignment> decode_consumer_assignment(
    std::span<const std::byte> bytes) noexcept {
  try {
    Reader r(bytes);
    ConsumerAssignment out;
    out.version = r.i16("version");
    if (r.failed() || out.version < 0) return std::nullopt;
    const auto topics = r.array_count(false, 2 + 4, "assigned topics");
    if (!r.failed()) out.partitions.reserve(topics);
    for (std::size_t i = 0; i < topics && !r.failed(); ++i) {
      TopicPartitions t;
      t.topic = r.string(false, "topic");
      t.partitions = r.int32_array(false, "partitions");
      out.partitions.push_back(std::move(t));
    }
    bool user_data_null = false;
    r.bytes(false, "user data", /*nullable=*/true, &user_data_null);
    // Versions 0-3 are the whole layout; a newer one may append fields (Kafka reads it with
    // the newest layout it knows and ignores the rest).
    if (out.version <= 3) r.expect_end("assignment");
    if (r.failed()) return std::nullopt;
    return out;
  } catch (const std::bad_alloc&) {
    return std::nullopt;
  }
}

void OffsetsDecodeCounts::add(const OffsetsRecord& record) noexcept {
  std::visit(
      [this](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, OffsetCommit>) {
          ++offset_commits;
        } else if constexpr (std::is_same_v<T, OffsetTombstone>) {
          ++offset_tombstones;
        } else if constexpr (std::is_same_v<T, GroupMetadata>) {
          ++group_metadata;
        } else if constexpr (std::is_same_v<T, GroupTombstone>) {
          ++group_tombstones;
        } else if constexpr (std::is_same_v<T, Skipped>) {
          ++skipped;
        } else if constexpr (std::is_same_v<T, Unknown>) {
          ++unknown;
        } else if constexpr (std::is_same_v<T, Malformed>) {
          ++malformed;
        } else {
          ++consumer_group_records;
        }
      },
      record);
}

}  // namespace ks::groups
