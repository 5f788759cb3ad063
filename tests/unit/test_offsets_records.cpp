// The `__consumer_offsets` record decoder: every key and value version Kafka 3.x writes,
// built byte by byte with a small encoder that follows Kafka's protocol rules (not the
// decoder's code), every truncation point, seeded garbage and mutations, and real records
// captured from a Kafka 3.9.2 broker.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "collectors/groups/offsets_records.hpp"
#include "collectors/groups/offsets_state.hpp"

using namespace ks::groups;

namespace {

using Bytes = std::vector<std::byte>;

// Test-side encoder: Kafka's wire types, written from the protocol rules.
struct Enc {
  Bytes b;

  template <typename T>
  Enc& be(T v) {
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8) {
      b.push_back(static_cast<std::byte>((u >> shift) & 0xFF));
    }
    return *this;
  }
  Enc& i8(std::int8_t v) { return be(v); }
  Enc& i16(std::int16_t v) { return be(v); }
  Enc& i32(std::int32_t v) { return be(v); }
  Enc& i64(std::int64_t v) { return be(v); }
  Enc& uvarint(std::uint32_t v) {
    while (v >= 0x80) {
      b.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    b.push_back(static_cast<std::byte>(v));
    return *this;
  }
  Enc& raw(const Bytes& r) {
    b.insert(b.end(), r.begin(), r.end());
    return *this;
  }
  Enc& raw(std::string_view s) {
    for (char c : s) b.push_back(static_cast<std::byte>(c));
    return *this;
  }
  // STRING / NULLABLE_STRING
  Enc& str(std::string_view s) { return i16(static_cast<std::int16_t>(s.size())).raw(s); }
  Enc& nstr(std::optional<std::string_view> s) { return s ? str(*s) : i16(-1); }
  // COMPACT_STRING / COMPACT_NULLABLE_STRING
  Enc& cstr(std::string_view s) { return uvarint(static_cast<std::uint32_t>(s.size() + 1)).raw(s); }
  Enc& cnstr(std::optional<std::string_view> s) { return s ? cstr(*s) : uvarint(0); }
  // STRING or COMPACT_STRING by flexibility
  Enc& s(bool flexible, std::string_view v) { return flexible ? cstr(v) : str(v); }
  Enc& ns(bool flexible, std::optional<std::string_view> v) { return flexible ? cnstr(v) : nstr(v); }
  Enc& bytes(bool flexible, const Bytes& v) {
    if (flexible) {
      uvarint(static_cast<std::uint32_t>(v.size() + 1));
    } else {
      i32(static_cast<std::int32_t>(v.size()));
    }
    return raw(v);
  }
  Enc& count(bool flexible, std::size_t n) {
    return flexible ? uvarint(static_cast<std::uint32_t>(n + 1)) : i32(static_cast<std::int32_t>(n));
  }
  // Tagged fields section; tags must be given in increasing order.
  Enc& tags(const std::vector<std::pair<std::uint32_t, Bytes>>& fields = {}) {
    uvarint(static_cast<std::uint32_t>(fields.size()));
    for (const auto& [tag, payload] : fields) {
      uvarint(tag).uvarint(static_cast<std::uint32_t>(payload.size())).raw(payload);
    }
    return *this;
  }
};

// Bytes of a string literal, embedded NULs included.
template <std::size_t N>
Bytes bytes_of(const char (&s)[N]) {
  return Enc{}.raw(std::string_view(s, N - 1)).b;
}

using Span = std::span<const std::byte>;

OffsetsRecord decode(const Bytes& key, const std::optional<Bytes>& value) {
  if (!value) return decode_offsets_record(Span(key), std::nullopt);
  return decode_offsets_record(Span(key), Span(*value));
}

// A copy (callers often pass a temporary record).
template <typename T>
T as(const OffsetsRecord& r) {
  std::string detail;
  if (const auto* m = std::get_if<Malformed>(&r)) detail = "malformed: " + m->reason;
  if (const auto* u = std::get_if<Unknown>(&r)) detail = "unknown: " + u->reason;
  INFO("record holds alternative " << r.index() << " " << detail);
  REQUIRE(std::holds_alternative<T>(r));
  return std::get<T>(r);
}

// ---- record builders ----------------------------------------------------------------------

Bytes offset_key(std::int16_t version, std::string_view group, std::string_view topic,
                 std::int32_t partition) {
  return Enc{}.i16(version).str(group).str(topic).i32(partition).b;
}

struct OffsetValueSpec {
  std::int64_t offset = 42;
  std::int32_t leader_epoch = 7;
  std::string metadata = "meta";
  std::int64_t commit_ts = 1'700'000'000'000;
  std::int64_t expire_ts = 1'700'000'600'000;
  std::vector<std::pair<std::uint32_t, Bytes>> tags;
};

Bytes offset_value(std::int16_t version, const OffsetValueSpec& v = {}) {
  const bool flexible = version >= 4;
  Enc e;
  e.i16(version).i64(v.offset);
  if (version >= 3) e.i32(v.leader_epoch);
  e.s(flexible, v.metadata).i64(v.commit_ts);
  if (version == 1) e.i64(v.expire_ts);
  if (flexible) e.tags(v.tags);
  return e.b;
}

Bytes group_key(std::string_view group) { return Enc{}.i16(2).str(group).b; }

Bytes consumer_assignment(std::int16_t version,
                          const std::vector<std::pair<std::string, std::vector<std::int32_t>>>& topics,
                          std::optional<Bytes> user_data = std::nullopt) {
  Enc e;
  e.i16(version).i32(static_cast<std::int32_t>(topics.size()));
  for (const auto& [topic, partitions] : topics) {
    e.str(topic).i32(static_cast<std::int32_t>(partitions.size()));
    for (auto p : partitions) e.i32(p);
  }
  if (user_data) {
    e.bytes(false, *user_data);
  } else {
    e.i32(-1);
  }
  return e.b;
}

struct MemberSpec {
  std::string member_id = "consumer-1-abc";
  std::optional<std::string> instance_id;
  std::string client_id = "consumer-1";
  std::string client_host = "/10.0.0.1";
  std::int32_t rebalance_timeout = 300000;
  std::int32_t session_timeout = 45000;
  Bytes subscription = bytes_of("\x00\x01subscription");
  Bytes assignment;
  std::vector<std::pair<std::uint32_t, Bytes>> tags;
};

struct GroupValueSpec {
  std::string protocol_type = "consumer";
  std::int32_t generation = 5;
  std::optional<std::string> protocol = std::string("range");
  std::optional<std::string> leader = std::string("consumer-1-abc");
  std::int64_t state_ts = 1'700'000'000'123;
  std::vector<MemberSpec> members;
  std::vector<std::pair<std::uint32_t, Bytes>> tags;
};

Bytes group_value(std::int16_t version, const GroupValueSpec& g) {
  const bool flexible = version >= 4;
  Enc e;
  e.i16(version).s(flexible, g.protocol_type).i32(g.generation);
  e.ns(flexible, g.protocol).ns(flexible, g.leader);
  if (version >= 2) e.i64(g.state_ts);
  e.count(flexible, g.members.size());
  for (const auto& m : g.members) {
    e.s(flexible, m.member_id);
    if (version >= 3) e.ns(flexible, m.instance_id);
    e.s(flexible, m.client_id).s(flexible, m.client_host);
    if (version >= 1) e.i32(m.rebalance_timeout);
    e.i32(m.session_timeout).bytes(flexible, m.subscription).bytes(flexible, m.assignment);
    if (flexible) e.tags(m.tags);
  }
  if (flexible) e.tags(g.tags);
  return e.b;
}

GroupValueSpec two_member_group() {
  GroupValueSpec g;
  MemberSpec a;
  a.assignment = consumer_assignment(1, {{"orders", {0, 2}}, {"payments", {1}}});
  MemberSpec b;
  b.member_id = "consumer-2-def";
  b.instance_id = "static-2";
  b.client_id = "consumer-2";
  b.assignment = consumer_assignment(3, {{"orders", {1}}}, bytes_of("ud"));
  g.members = {a, b};
  return g;
}

Uuid uuid_of(std::uint8_t seed) {
  Uuid u{};
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::byte>(seed + i);
  return u;
}

Bytes cg_key(std::int16_t type, std::string_view group,
             std::optional<std::string_view> member = std::nullopt) {
  Enc e;
  e.i16(type).str(group);
  if (member) e.str(*member);
  return e.b;
}

Bytes cg_metadata_value(std::int32_t epoch, std::vector<std::pair<std::uint32_t, Bytes>> tags = {}) {
  return Enc{}.i16(0).i32(epoch).tags(tags).b;
}

Bytes cg_member_value(bool classic, std::vector<std::pair<std::uint32_t, Bytes>> extra_tags = {}) {
  Enc e;
  e.i16(0).cnstr("instance-a").cnstr(std::nullopt).cstr("client-a").cstr("/10.0.0.9");
  e.uvarint(3).cstr("orders").cstr("payments");
  e.cnstr(std::nullopt).i32(240000).cnstr("uniform");
  std::vector<std::pair<std::uint32_t, Bytes>> tags;
  if (classic) {
    // ClassicMemberMetadata: presence varint, SessionTimeoutMs, [ClassicProtocol], tags
    Enc c;
    c.uvarint(1).i32(30000).uvarint(2).cstr("range").uvarint(3).raw(bytes_of("ab")).tags().tags();
    tags.emplace_back(0, c.b);
  }
  for (auto& t : extra_tags) tags.push_back(std::move(t));
  e.tags(tags);
  return e.b;
}

void topic_id_partitions(Enc& e, const std::vector<std::pair<Uuid, std::vector<std::int32_t>>>& tps) {
  e.uvarint(static_cast<std::uint32_t>(tps.size() + 1));
  for (const auto& [id, parts] : tps) {
    for (auto b : id) e.b.push_back(b);
    e.uvarint(static_cast<std::uint32_t>(parts.size() + 1));
    for (auto p : parts) e.i32(p);
    e.tags();
  }
}

Bytes cg_assignment_value() {
  Enc e;
  e.i16(0).i32(12).i32(11).i8(0);
  topic_id_partitions(e, {{uuid_of(1), {0, 1, 2}}, {uuid_of(0x40), {5}}});
  topic_id_partitions(e, {{uuid_of(0x80), {9}}});
  e.tags({{7, bytes_of("xyz")}});
  return e.b;
}

// Every valid record the tests build: (name, key, value).
struct Sample {
  std::string name;
  Bytes key;
  std::optional<Bytes> value;
};

std::vector<Sample> valid_samples() {
  std::vector<Sample> out;
  for (std::int16_t kv = 0; kv <= 1; ++kv) {
    for (std::int16_t vv = 0; vv <= 4; ++vv) {
      OffsetValueSpec spec;
      if (vv == 4) spec.tags = {{3, bytes_of("x")}};
      out.push_back({"offset commit k" + std::to_string(kv) + " v" + std::to_string(vv),
                     offset_key(kv, "grp", "orders", 3), offset_value(vv, spec)});
    }
    out.push_back({"offset tombstone k" + std::to_string(kv), offset_key(kv, "grp", "orders", 3),
                   std::nullopt});
  }
  for (std::int16_t vv = 0; vv <= 4; ++vv) {
    auto g = two_member_group();
    if (vv == 4) {
      g.tags = {{0, bytes_of("t0")}, {9, bytes_of("")}};
      g.members[0].tags = {{1, bytes_of("mt")}};
    }
    out.push_back({"group metadata v" + std::to_string(vv), group_key("grp"), group_value(vv, g)});
  }
  out.push_back({"group tombstone", group_key("grp"), std::nullopt});
  out.push_back({"cg metadata", cg_key(3, "cg"), cg_metadata_value(4)});
  out.push_back({"cg member", cg_key(5, "cg", "m1"), cg_member_value(true)});
  out.push_back({"cg assignment", cg_key(8, "cg", "m1"), cg_assignment_value()});
  return out;
}

// Re-encodes a decoded commit at its own versions (no tagged fields).
Bytes reencode_value(const OffsetCommit& c) {
  OffsetValueSpec spec;
  spec.offset = c.offset;
  spec.leader_epoch = c.leader_epoch.value_or(-1);
  spec.metadata = c.metadata;
  spec.commit_ts = c.commit_timestamp_ms;
  spec.expire_ts = c.expire_timestamp_ms.value_or(-1);
  return offset_value(c.value_version, spec);
}

// An OffsetCommit may only come out of bytes that are exactly a valid commit record: its
// re-encoding is the input (for v4, up to the tagged-fields section, which may hold tags).
void check_commit_is_faithful(const OffsetsRecord& r, const Bytes& key, const Bytes& value) {
  const auto* c = std::get_if<OffsetCommit>(&r);
  if (!c) return;
  REQUIRE(offset_key(c->key_version, c->group, c->topic, c->partition) == key);
  const auto re = reencode_value(*c);
  if (c->value_version < 4) {
    REQUIRE(re == value);
  } else {
    REQUIRE(value.size() >= re.size());
    REQUIRE(std::equal(re.begin(), re.end() - 1, value.begin()));
  }
}

Bytes from_hex(std::string_view hex) {
  Bytes out;
  REQUIRE(hex.size() % 2 == 0);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace

// ---- offset commits -----------------------------------------------------------------------

TEST_CASE("offset commits: both key versions and every value version 0-4", "[offsets-records]") {
  for (std::int16_t kv = 0; kv <= 1; ++kv) {
    for (std::int16_t vv = 0; vv <= 4; ++vv) {
      CAPTURE(kv, vv);
      const auto r = decode(offset_key(kv, "billing", "invoices", 17), offset_value(vv));
      const auto& c = as<OffsetCommit>(r);
      CHECK(c.group == "billing");
      CHECK(c.topic == "invoices");
      CHECK(c.partition == 17);
      CHECK(c.offset == 42);
      CHECK(c.metadata == "meta");
      CHECK(c.commit_timestamp_ms == 1'700'000'000'000);
      CHECK(c.key_version == kv);
      CHECK(c.value_version == vv);
      if (vv >= 3) {
        CHECK(c.leader_epoch == std::optional<std::int32_t>(7));
      } else {
        CHECK_FALSE(c.leader_epoch);
      }
      if (vv == 1) {
        CHECK(c.expire_timestamp_ms == std::optional<std::int64_t>(1'700'000'600'000));
      } else {
        CHECK_FALSE(c.expire_timestamp_ms);
      }
    }
  }
}

TEST_CASE("offset commits: leader epoch and expire timestamp -1 mean absent", "[offsets-records]") {
  OffsetValueSpec spec;
  spec.leader_epoch = -1;
  spec.expire_ts = -1;
  spec.metadata = "";
  CHECK_FALSE(as<OffsetCommit>(decode(offset_key(1, "g", "t", 0), offset_value(3, spec))).leader_epoch);
  CHECK_FALSE(as<OffsetCommit>(decode(offset_key(1, "g", "t", 0), offset_value(1, spec)))
                  .expire_timestamp_ms);
  CHECK(as<OffsetCommit>(decode(offset_key(1, "g", "t", 0), offset_value(4, spec))).metadata.empty());
}

TEST_CASE("offset commits: v4 is flexible and skips unknown tagged fields", "[offsets-records]") {
  OffsetValueSpec spec;
  spec.metadata = std::string(200, 'm');  // a compact string length above one varint byte
  spec.tags = {{0, bytes_of("abc")}, {5, Bytes(300, std::byte{0x7})}, {1000, {}}};
  const auto value = offset_value(4, spec);
  const auto& c = as<OffsetCommit>(decode(offset_key(1, "g", "t", 2), value));
  CHECK(c.offset == 42);
  CHECK(c.metadata == spec.metadata);
  CHECK(c.commit_timestamp_ms == spec.commit_ts);
  // The same bytes read as v3 (non-flexible) do not parse.
  auto as_v3 = value;
  as_v3[1] = std::byte{3};
  CHECK(std::holds_alternative<Malformed>(decode(offset_key(1, "g", "t", 2), as_v3)));
}

TEST_CASE("offset tombstones delete a group's committed offset", "[offsets-records]") {
  for (std::int16_t kv = 0; kv <= 1; ++kv) {
    const auto& t = as<OffsetTombstone>(decode(offset_key(kv, "grp", "orders", 9), std::nullopt));
    CHECK(t.group == "grp");
    CHECK(t.topic == "orders");
    CHECK(t.partition == 9);
  }
}

TEST_CASE("offset commit value versions above 4 or negative are Unknown, never an offset",
          "[offsets-records]") {
  for (std::int16_t vv : {std::int16_t{5}, std::int16_t{6}, std::int16_t{-1}, std::int16_t{32767}}) {
    CAPTURE(vv);
    // A plausible v4-shaped body under a newer version number.
    auto value = offset_value(4);
    value[0] = static_cast<std::byte>((vv >> 8) & 0xFF);
    value[1] = static_cast<std::byte>(vv & 0xFF);
    const auto& u = as<Unknown>(decode(offset_key(1, "g", "t", 0), value));
    CHECK(u.key_version == 1);
    CHECK(u.value_version == std::optional<std::int16_t>(vv));
    CHECK_THAT(u.reason, Catch::Contains("OffsetCommitValue"));
  }
}

// ---- classic group metadata ---------------------------------------------------------------

TEST_CASE("group metadata: every value version 0-4 with consumer assignments", "[offsets-records]") {
  for (std::int16_t vv = 0; vv <= 4; ++vv) {
    CAPTURE(vv);
    const auto& g = as<GroupMetadata>(decode(group_key("grp"), group_value(vv, two_member_group())));
    CHECK(g.group == "grp");
    CHECK(g.value_version == vv);
    CHECK(g.protocol_type == "consumer");
    CHECK(g.generation == 5);
    CHECK(g.protocol == std::optional<std::string>("range"));
    CHECK(g.leader == std::optional<std::string>("consumer-1-abc"));
    if (vv >= 2) {
      CHECK(g.current_state_timestamp_ms == std::optional<std::int64_t>(1'700'000'000'123));
    } else {
      CHECK_FALSE(g.current_state_timestamp_ms);
    }
    REQUIRE(g.members.size() == 2);
    const auto& a = g.members[0];
    CHECK(a.member_id == "consumer-1-abc");
    CHECK_FALSE(a.group_instance_id);
    CHECK(a.client_id == "consumer-1");
    CHECK(a.client_host == "/10.0.0.1");
    CHECK(a.session_timeout_ms == 45000);
    if (vv >= 1) {
      CHECK(a.rebalance_timeout_ms == std::optional<std::int32_t>(300000));
    } else {
      CHECK_FALSE(a.rebalance_timeout_ms);
    }
    CHECK(a.assignment_state == AssignmentState::decoded);
    CHECK(a.assignment_version == 1);
    REQUIRE(a.assignment.size() == 2);
    CHECK(a.assignment[0].topic == "orders");
    CHECK(a.assignment[0].partitions == std::vector<std::int32_t>{0, 2});
    CHECK(a.assignment[1].topic == "payments");
    CHECK(a.assignment[1].partitions == std::vector<std::int32_t>{1});
    const auto& b = g.members[1];
    if (vv >= 3) {
      CHECK(b.group_instance_id == std::optional<std::string>("static-2"));
    } else {
      CHECK_FALSE(b.group_instance_id);  // not in the schema before v3
    }
    CHECK(b.assignment_state == AssignmentState::decoded);
    CHECK(b.assignment_version == 3);
    REQUIRE(b.assignment.size() == 1);
    CHECK(b.assignment[0].partitions == std::vector<std::int32_t>{1});
  }
}

TEST_CASE("group metadata: null protocol and leader, empty group, v4 tagged fields",
          "[offsets-records]") {
  GroupValueSpec g;
  g.protocol_type = "consumer";
  g.generation = 9;
  g.protocol = std::nullopt;
  g.leader = std::nullopt;
  g.state_ts = -1;
  g.tags = {{0, bytes_of("zz")}, {42, Bytes(130, std::byte{1})}};
  for (std::int16_t vv = 0; vv <= 4; ++vv) {
    CAPTURE(vv);
    const auto& d = as<GroupMetadata>(decode(group_key("empty"), group_value(vv, g)));
    CHECK(d.generation == 9);
    CHECK_FALSE(d.protocol);
    CHECK_FALSE(d.leader);
    CHECK_FALSE(d.current_state_timestamp_ms);
    CHECK(d.members.empty());
  }
}

TEST_CASE("group metadata: assignments of other protocols, empty or garbled ones",
          "[offsets-records]") {
  GroupValueSpec g;
  g.protocol_type = "connect";
  MemberSpec m;
  m.assignment = bytes_of("connect-specific-bytes");
  g.members = {m};
  auto d = as<GroupMetadata>(decode(group_key("c"), group_value(3, g)));
  CHECK(d.members.at(0).assignment_state == AssignmentState::not_consumer);
  CHECK(d.members.at(0).assignment.empty());

  g.protocol_type = "consumer";
  g.members[0].assignment = {};
  d = as<GroupMetadata>(decode(group_key("c"), group_value(3, g)));
  CHECK(d.members.at(0).assignment_state == AssignmentState::empty);

  g.members[0].assignment = bytes_of("\x00\x00\x00\x00\x00\x05");  // 5 topics, none there
  d = as<GroupMetadata>(decode(group_key("c"), group_value(4, g)));
  CHECK(d.members.at(0).assignment_state == AssignmentState::undecodable);
  CHECK(d.members.at(0).assignment.empty());
  CHECK(d.members.at(0).member_id == "consumer-1-abc");  // the record itself still decodes
}

TEST_CASE("group tombstone and group metadata value versions above 4", "[offsets-records]") {
  CHECK(as<GroupTombstone>(decode(group_key("gone"), std::nullopt)).group == "gone");
  auto value = group_value(4, two_member_group());
  value[1] = std::byte{5};
  const auto& u = as<Unknown>(decode(group_key("g"), value));
  CHECK(u.key_version == 2);
  CHECK(u.value_version == std::optional<std::int16_t>(5));
}

// ---- consumer protocol assignment ---------------------------------------------------------

TEST_CASE("consumer protocol assignment versions 0-3, user data, newer versions",
          "[offsets-records]") {
  for (std::int16_t v = 0; v <= 3; ++v) {
    CAPTURE(v);
    for (const auto& ud : {std::optional<Bytes>{}, std::optional<Bytes>{bytes_of("user")}}) {
      const auto bytes = consumer_assignment(v, {{"a", {3, 1}}, {"bb", {}}}, ud);
      const auto a = decode_consumer_assignment(Span(bytes));
      REQUIRE(a);
      CHECK(a->version == v);
      REQUIRE(a->partitions.size() == 2);
      CHECK(a->partitions[0].topic == "a");
      CHECK(a->partitions[0].partitions == std::vector<std::int32_t>{3, 1});
      CHECK(a->partitions[1].topic == "bb");
      CHECK(a->partitions[1].partitions.empty());
      // Truncated anywhere: no assignment.
      for (std::size_t n = 0; n < bytes.size(); ++n) {
        CAPTURE(n);
        CHECK_FALSE(decode_consumer_assignment(Span(bytes.data(), n)));
      }
      // Trailing bytes under a known version: not this layout.
      auto longer = bytes;
      longer.push_back(std::byte{0});
      CHECK_FALSE(decode_consumer_assignment(Span(longer)));
    }
  }
  // A newer version is read with the v3 layout, the rest ignored (as Kafka's ConsumerProtocol).
  auto v4 = consumer_assignment(4, {{"t", {0}}});
  v4.push_back(std::byte{0x55});
  const auto a = decode_consumer_assignment(Span(v4));
  REQUIRE(a);
  CHECK(a->version == 4);
  CHECK(a->partitions.at(0).topic == "t");
  CHECK_FALSE(decode_consumer_assignment(Span(consumer_assignment(-1, {{"t", {0}}}))));
}

// ---- KIP-848 consumer groups --------------------------------------------------------------

TEST_CASE("KIP-848 group metadata and its tombstone", "[offsets-records]") {
  const auto& m = as<ConsumerGroupMetadata>(decode(cg_key(3, "new-cg"), cg_metadata_value(17)));
  CHECK(m.group == "new-cg");
  CHECK(m.epoch == 17);
  CHECK(as<ConsumerGroupMetadata>(decode(cg_key(3, "new-cg"),
                                         cg_metadata_value(3, {{4, bytes_of("tag")}})))
            .epoch == 3);
  CHECK(as<ConsumerGroupTombstone>(decode(cg_key(3, "new-cg"), std::nullopt)).group == "new-cg");
  auto v1 = cg_metadata_value(1);
  v1[1] = std::byte{1};
  const auto& u = as<Unknown>(decode(cg_key(3, "new-cg"), v1));
  CHECK(u.key_version == 3);
  CHECK(u.value_version == std::optional<std::int16_t>(1));
}

TEST_CASE("KIP-848 member metadata with the classic tag and unknown tags", "[offsets-records]") {
  for (bool classic : {false, true}) {
    CAPTURE(classic);
    const auto value = cg_member_value(classic, {{3, bytes_of("future")}});
    const auto& m = as<ConsumerGroupMember>(decode(cg_key(5, "cg", "member-1"), value));
    CHECK(m.group == "cg");
    CHECK(m.member_id == "member-1");
    CHECK(m.instance_id == std::optional<std::string>("instance-a"));
    CHECK_FALSE(m.rack_id);
    CHECK(m.client_id == "client-a");
    CHECK(m.client_host == "/10.0.0.9");
    CHECK(m.subscribed_topic_names == std::vector<std::string>{"orders", "payments"});
    CHECK_FALSE(m.subscribed_topic_regex);
    CHECK(m.rebalance_timeout_ms == 240000);
    CHECK(m.server_assignor == std::optional<std::string>("uniform"));
    CHECK(m.classic_member == classic);
    CHECK(m.classic_session_timeout_ms ==
          (classic ? std::optional<std::int32_t>(30000) : std::nullopt));
  }
  const auto& t = as<ConsumerGroupMemberTombstone>(decode(cg_key(5, "cg", "member-1"), std::nullopt));
  CHECK(t.group == "cg");
  CHECK(t.member_id == "member-1");
  CHECK(t.key_version == 5);
}

TEST_CASE("KIP-848 current member assignment names partitions by topic id", "[offsets-records]") {
  const auto& a = as<ConsumerGroupMemberAssignment>(decode(cg_key(8, "cg", "m1"), cg_assignment_value()));
  CHECK(a.group == "cg");
  CHECK(a.member_id == "m1");
  CHECK(a.member_epoch == 12);
  CHECK(a.previous_member_epoch == 11);
  CHECK(a.state == 0);
  REQUIRE(a.assigned.size() == 2);
  CHECK(a.assigned[0].topic_id == uuid_of(1));
  CHECK(a.assigned[0].partitions == std::vector<std::int32_t>{0, 1, 2});
  CHECK(a.assigned[1].topic_id == uuid_of(0x40));
  CHECK(a.assigned[1].partitions == std::vector<std::int32_t>{5});
  REQUIRE(a.pending_revocation.size() == 1);
  CHECK(a.pending_revocation[0].topic_id == uuid_of(0x80));
  const auto& t = as<ConsumerGroupMemberTombstone>(decode(cg_key(8, "cg", "m1"), std::nullopt));
  CHECK(t.key_version == 8);
}

TEST_CASE("KIP-848 values in the 3.7 early-access layout are not guessed", "[offsets-records]") {
  // 3.7's ConsumerGroupCurrentMemberAssignmentValue v0: MemberEpoch, PreviousMemberEpoch,
  // TargetMemberEpoch, Assigned, PendingRevocation, PendingAssignment, Error int8,
  // MetadataVersion int16, MetadataBytes, tags.
  Enc e;
  e.i16(0).i32(3).i32(2).i32(3);
  topic_id_partitions(e, {{uuid_of(9), {0}}});
  topic_id_partitions(e, {});
  topic_id_partitions(e, {});
  e.i8(0).i16(0).uvarint(1).tags();
  const auto r = decode(cg_key(8, "cg", "m"), e.b);
  REQUIRE(std::holds_alternative<Malformed>(r));
  CHECK_THAT(std::get<Malformed>(r).reason, Catch::Contains("3.8+ layout"));
}

TEST_CASE("record types a monitor does not need are Skipped with their group", "[offsets-records]") {
  for (std::int16_t type : {4, 6, 9, 11}) {
    CAPTURE(type);
    const auto& s = as<Skipped>(decode(cg_key(type, "cg"), bytes_of("\x00\x00whatever")));
    CHECK(s.key_version == type);
    CHECK(s.group == "cg");
    CHECK(as<Skipped>(decode(cg_key(type, "cg"), std::nullopt)).group == "cg");
  }
  for (std::int16_t type : {7, 10}) {
    CAPTURE(type);
    CHECK(as<Skipped>(decode(cg_key(type, "cg", "m"), std::nullopt)).group == "cg");
    // These keys carry a member id: without it they are truncated.
    CHECK(std::holds_alternative<Malformed>(decode(cg_key(type, "cg"), std::nullopt)));
  }
}

TEST_CASE("key versions Kafka 3.x does not write are Unknown and counted", "[offsets-records]") {
  OffsetsDecodeCounts counts;
  for (std::int16_t kv : {12, 13, 15, 16, 17, 100, 32767, -1, -32768}) {
    CAPTURE(kv);
    const auto r = decode(cg_key(kv, "g"), offset_value(3));
    const auto& u = as<Unknown>(r);
    CHECK(u.key_version == kv);
    CHECK_FALSE(u.value_version);
    counts.add(r);
  }
  counts.add(decode(offset_key(1, "g", "t", 0), offset_value(9)));
  counts.add(decode(offset_key(1, "g", "t", 0), offset_value(3)));
  counts.add(decode(offset_key(1, "g", "t", 0), std::nullopt));
  counts.add(decode(group_key("g"), std::nullopt));
  counts.add(decode(cg_key(3, "g"), cg_metadata_value(1)));
  counts.add(decode(cg_key(4, "g"), std::nullopt));
  counts.add(decode(Bytes{std::byte{0}}, std::nullopt));
  CHECK(counts.unknown == 10);
  CHECK(counts.offset_commits == 1);
  CHECK(counts.offset_tombstones == 1);
  CHECK(counts.group_tombstones == 1);
  CHECK(counts.consumer_group_records == 1);
  CHECK(counts.skipped == 1);
  CHECK(counts.malformed == 1);
  CHECK(counts.total() == 16);
}

// ---- robustness ---------------------------------------------------------------------------

TEST_CASE("every truncation point of every valid record is Malformed", "[offsets-records]") {
  for (const auto& s : valid_samples()) {
    CAPTURE(s.name);
    // The full record decodes to something that is neither Malformed nor Unknown.
    const auto full = decode(s.key, s.value);
    REQUIRE_FALSE(std::holds_alternative<Malformed>(full));
    REQUIRE_FALSE(std::holds_alternative<Unknown>(full));
    for (std::size_t n = 0; n < s.key.size(); ++n) {
      CAPTURE(n);
      const Bytes prefix(s.key.begin(), s.key.begin() + static_cast<std::ptrdiff_t>(n));
      CHECK(std::holds_alternative<Malformed>(decode(prefix, s.value)));
    }
    if (!s.value) continue;
    for (std::size_t n = 0; n < s.value->size(); ++n) {
      CAPTURE(n);
      const Bytes prefix(s.value->begin(), s.value->begin() + static_cast<std::ptrdiff_t>(n));
      CHECK(std::holds_alternative<Malformed>(decode(s.key, prefix)));
    }
    // One byte too many, in the key or the value, is not this record either.
    auto key = s.key;
    key.push_back(std::byte{0});
    CHECK(std::holds_alternative<Malformed>(decode(key, s.value)));
    auto value = *s.value;
    value.push_back(std::byte{0});
    CHECK(std::holds_alternative<Malformed>(decode(s.key, value)));
  }
}

TEST_CASE("nulls where the schema forbids them are Malformed", "[offsets-records]") {
  // null group / topic in an offset key
  CHECK(std::holds_alternative<Malformed>(
      decode(Enc{}.i16(1).nstr(std::nullopt).str("t").i32(0).b, offset_value(3))));
  CHECK(std::holds_alternative<Malformed>(
      decode(Enc{}.i16(1).str("g").nstr(std::nullopt).i32(0).b, std::nullopt)));
  // null metadata string (non-flexible and compact)
  CHECK(std::holds_alternative<Malformed>(decode(
      offset_key(1, "g", "t", 0), Enc{}.i16(3).i64(5).i32(0).i16(-1).i64(1).b)));
  CHECK(std::holds_alternative<Malformed>(decode(
      offset_key(1, "g", "t", 0), Enc{}.i16(4).i64(5).i32(0).uvarint(0).i64(1).tags().b)));
  // a string length below -1
  CHECK(std::holds_alternative<Malformed>(
      decode(Enc{}.i16(2).i16(-2).b, std::nullopt)));
  // empty (present) value and empty key
  CHECK(std::holds_alternative<Malformed>(decode(offset_key(1, "g", "t", 0), Bytes{})));
  CHECK(std::holds_alternative<Malformed>(decode(Bytes{}, std::nullopt)));
  // a huge member count with nothing behind it
  CHECK(std::holds_alternative<Malformed>(decode(
      group_key("g"), Enc{}.i16(3).str("consumer").i32(1).i16(-1).i16(-1).i64(0).i32(0x7FFFFFFF).b)));
  // a tagged-field size beyond the end, and an over-long varint
  CHECK(std::holds_alternative<Malformed>(decode(
      offset_key(1, "g", "t", 0), Enc{}.i16(4).i64(5).i32(0).cstr("").i64(1).uvarint(1).uvarint(0).uvarint(100).b)));
  Enc overlong;
  overlong.i16(4).i64(5).i32(0).cstr("").i64(1);
  for (int i = 0; i < 6; ++i) overlong.b.push_back(std::byte{0x80});
  overlong.b.push_back(std::byte{0});
  CHECK(std::holds_alternative<Malformed>(decode(offset_key(1, "g", "t", 0), overlong.b)));
}

TEST_CASE("seeded random garbage never crashes and never yields a false commit",
          "[offsets-records]") {
  std::mt19937 rng(20240917);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 48);
  OffsetsDecodeCounts counts;
  for (int i = 0; i < 20000; ++i) {
    Bytes key(static_cast<std::size_t>(len(rng)));
    for (auto& b : key) b = static_cast<std::byte>(byte(rng));
    // Half the keys get a plausible record type so the value decoders are exercised too.
    if (key.size() >= 2 && (i % 2 == 0)) {
      key[0] = std::byte{0};
      key[1] = static_cast<std::byte>(i % 13);
    }
    std::optional<Bytes> value;
    if (i % 7 != 0) {
      value.emplace(static_cast<std::size_t>(len(rng)));
      for (auto& b : *value) b = static_cast<std::byte>(byte(rng));
      if (value->size() >= 2 && (i % 3 == 0)) {
        (*value)[0] = std::byte{0};
        (*value)[1] = static_cast<std::byte>(i % 6);
      }
    }
    const auto r = decode(key, value);
    counts.add(r);
    if (value) check_commit_is_faithful(r, key, *value);
  }
  CHECK(counts.total() == 20000);
  CHECK(counts.malformed > 0);
  CHECK(counts.unknown > 0);
}

TEST_CASE("mutated valid records never crash and any commit they yield is exact",
          "[offsets-records]") {
  std::mt19937 rng(848);
  const auto samples = valid_samples();
  std::size_t commits = 0;
  for (const auto& s : samples) {
    CAPTURE(s.name);
    for (int i = 0; i < 1500; ++i) {
      auto key = s.key;
      auto value = s.value;
      auto& target = (value && i % 3 != 0) ? *value : key;
      const int mutations = 1 + static_cast<int>(rng() % 3);
      for (int m = 0; m < mutations && !target.empty(); ++m) {
        const auto pos = rng() % target.size();
        switch (rng() % 4) {
          case 0: target[pos] = static_cast<std::byte>(rng() & 0xFF); break;
          case 1: target[pos] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
          case 2: target.erase(target.begin() + static_cast<std::ptrdiff_t>(pos)); break;
          default:
            target.insert(target.begin() + static_cast<std::ptrdiff_t>(pos),
                          static_cast<std::byte>(rng() & 0xFF));
        }
      }
      const auto r = decode(key, value);
      if (value) check_commit_is_faithful(r, key, *value);
      commits += std::holds_alternative<OffsetCommit>(r) ? 1 : 0;
    }
  }
  // Changing a digit of an offset still gives a (different, exact) commit: some must exist,
  // or the faithfulness check above checked nothing.
  CHECK(commits > 0);
}

// ---- real records from a Kafka 3.9.2 broker -----------------------------------------------

TEST_CASE("records captured from a real Kafka 3.9.2 broker", "[offsets-records]") {
  std::ifstream in(std::string(KS_FIXTURES_DIR) + "/offsets_records/kafka-3.9.2.hex");
  REQUIRE(in);
  std::vector<OffsetsRecord> records;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    int partition = 0;
    long long offset = 0;
    std::string key_hex, value_hex;
    REQUIRE(fields >> partition >> offset >> key_hex >> value_hex);
    const auto key = from_hex(key_hex);
    const std::optional<Bytes> value =
        value_hex == "-" ? std::nullopt : std::optional<Bytes>(from_hex(value_hex));
    records.push_back(decode(key, value));
  }
  REQUIRE(records.size() == 25);
  OffsetsDecodeCounts counts;
  for (const auto& r : records) counts.add(r);
  CHECK(counts.malformed == 0);
  CHECK(counts.unknown == 0);
  CHECK(counts.offset_commits == 7);
  CHECK(counts.offset_tombstones == 3);
  CHECK(counts.group_metadata == 3);
  CHECK(counts.group_tombstones == 1);
  CHECK(counts.skipped == 5);  // keys 4 (twice), 6, 7 and 7's tombstone

  // Partition 5: the classic group.
  const auto& empty_group = as<GroupMetadata>(records[0]);
  CHECK(empty_group.group == "ks-fixture-classic");
  CHECK(empty_group.value_version == 3);
  CHECK(empty_group.protocol_type.empty());
  CHECK(empty_group.generation == 0);
  CHECK_FALSE(empty_group.protocol);
  CHECK(empty_group.members.empty());

  const auto& joined = as<GroupMetadata>(records[1]);
  CHECK(joined.protocol_type == "consumer");
  CHECK(joined.generation == 1);
  CHECK(joined.protocol == std::optional<std::string>("range"));
  CHECK(joined.leader == std::optional<std::string>("console-consumer-0b4aff83-57ce-494a-b259-dca9503aa045"));
  CHECK(joined.current_state_timestamp_ms == std::optional<std::int64_t>(1796586667545));
  REQUIRE(joined.members.size() == 1);
  const auto& member = joined.members[0];
  CHECK(member.member_id == *joined.leader);
  CHECK_FALSE(member.group_instance_id);
  CHECK(member.client_id == "console-consumer");
  CHECK(member.client_host == "/127.0.0.1");
  CHECK(member.rebalance_timeout_ms == std::optional<std::int32_t>(300000));
  CHECK(member.session_timeout_ms == 45000);
  REQUIRE(member.assignment_state == AssignmentState::decoded);
  REQUIRE(member.assignment.size() == 1);
  CHECK(member.assignment[0].topic == "ks-fixture");
  CHECK(member.assignment[0].partitions == std::vector<std::int32_t>{0, 1, 2});

  const std::int64_t expected_offsets[] = {30, 0, 0};
  for (int p = 0; p < 3; ++p) {
    CAPTURE(p);
    const auto& c = as<OffsetCommit>(records[static_cast<std::size_t>(2 + p)]);
    CHECK(c.group == "ks-fixture-classic");
    CHECK(c.topic == "ks-fixture");
    CHECK(c.partition == p);
    CHECK(c.offset == expected_offsets[p]);
    CHECK(c.key_version == 1);
    CHECK(c.value_version == 3);
    CHECK(c.leader_epoch == (p == 0 ? std::optional<std::int32_t>(0) : std::nullopt));
    CHECK(c.metadata.empty());
    CHECK(c.commit_timestamp_ms == 1796586668714);
  }
  const auto& left = as<GroupMetadata>(records[5]);
  CHECK(left.generation == 2);
  CHECK(left.members.empty());
  // The deletion writes one tombstone per committed partition (in the broker's map order).
  std::vector<std::int32_t> deleted;
  for (std::size_t i = 6; i <= 8; ++i) {
    const auto t = as<OffsetTombstone>(records[i]);
    CHECK(t.group == "ks-fixture-classic");
    CHECK(t.topic == "ks-fixture");
    deleted.push_back(t.partition);
  }
  std::sort(deleted.begin(), deleted.end());
  CHECK(deleted == std::vector<std::int32_t>{0, 1, 2});
  CHECK(as<GroupTombstone>(records[9]).group == "ks-fixture-classic");

  // Partition 7: the KIP-848 group.
  const auto& cgm = as<ConsumerGroupMember>(records[10]);
  CHECK(cgm.group == "ks-fixture-kip848");
  CHECK(cgm.member_id == "_yfTghj1SPqgpwXasuLmfg");
  CHECK(cgm.client_id == "console-consumer");
  CHECK(cgm.subscribed_topic_names == std::vector<std::string>{"ks-fixture"});
  CHECK(cgm.subscribed_topic_regex == std::optional<std::string>(""));
  CHECK(cgm.rebalance_timeout_ms == 300000);
  CHECK_FALSE(cgm.server_assignor);
  CHECK_FALSE(cgm.classic_member);
  CHECK(as<Skipped>(records[11]).key_version == 4);
  CHECK(as<ConsumerGroupMetadata>(records[12]).epoch == 1);
  CHECK(as<Skipped>(records[13]).key_version == 7);
  CHECK(as<Skipped>(records[14]).key_version == 6);
  const auto& cga = as<ConsumerGroupMemberAssignment>(records[15]);
  CHECK(cga.member_epoch == 1);
  CHECK(cga.previous_member_epoch == 0);
  CHECK(cga.state == 0);
  REQUIRE(cga.assigned.size() == 1);
  // kafka-dump-log prints this topic id as 635YBnfKQymBPy6UjA90ww (base64url).
  Uuid topic_id{};
  const auto id_bytes = from_hex("eb7e580677ca4329813f2e948c0f74c3");
  std::copy(id_bytes.begin(), id_bytes.end(), topic_id.begin());
  CHECK(cga.assigned[0].topic_id == topic_id);
  CHECK(cga.assigned[0].partitions == std::vector<std::int32_t>{0, 1, 2});
  CHECK(cga.pending_revocation.empty());
  for (std::size_t i = 16; i <= 18; ++i) {
    const auto& c = as<OffsetCommit>(records[i]);
    CHECK(c.group == "ks-fixture-kip848");
    CHECK(c.partition == static_cast<std::int32_t>(i - 16));
    CHECK(c.offset == (i == 16 ? 30 : 0));
  }
  CHECK(as<ConsumerGroupMemberTombstone>(records[19]).key_version == 8);
  CHECK(as<Skipped>(records[20]).key_version == 7);
  CHECK(as<ConsumerGroupMemberTombstone>(records[21]).key_version == 5);
  CHECK(as<Skipped>(records[22]).key_version == 4);
  CHECK(as<ConsumerGroupMetadata>(records[23]).epoch == 2);
  // The reset of partition 1 to offset 0 through the admin API.
  const auto& reset = as<OffsetCommit>(records[24]);
  CHECK(reset.group == "ks-fixture-kip848");
  CHECK(reset.partition == 1);
  CHECK(reset.offset == 0);
}

TEST_CASE("group metadata with thousands of members sharing a 10,000-partition topic",
          "[offsets-records][hostile]") {
  // Hostile but legal (issue 16): 5,000 members whose ids hold quotes, a backslash, a
  // newline and UTF-8, each assigned 2 partitions of a topic named with 249 characters
  // (Kafka's maximum). Too many live members to create on a test machine, so the record
  // is built here; the stream must keep every member and every partition.
  constexpr int kMembers = 5000;
  const std::string topic = std::string(240, 't') + "._-AZaz09";
  GroupValueSpec g;
  g.members.reserve(kMembers);
  for (int i = 0; i < kMembers; ++i) {
    MemberSpec m;
    m.member_id = "consumer-" + std::to_string(i) + "-\"q\\\n\xE6\x97\xA5";
    m.client_id = "client \"" + std::to_string(i) + "\"";
    m.assignment = consumer_assignment(3, {{topic, {2 * i, 2 * i + 1}}});
    g.members.push_back(std::move(m));
  }
  g.leader = g.members.front().member_id;
  for (const std::int16_t version : {0, 3, 4}) {
    INFO("value version " << version);
    const auto d = as<GroupMetadata>(decode(group_key("many"), group_value(version, g)));
    REQUIRE(d.members.size() == kMembers);
    std::vector<std::int32_t> partitions;
    for (const GroupMember& m : d.members) {
      REQUIRE(m.assignment_state == AssignmentState::decoded);
      REQUIRE(m.assignment.size() == 1);
      CHECK(m.assignment[0].topic == topic);
      partitions.insert(partitions.end(), m.assignment[0].partitions.begin(),
                        m.assignment[0].partitions.end());
    }
    std::sort(partitions.begin(), partitions.end());
    CHECK(std::adjacent_find(partitions.begin(), partitions.end()) == partitions.end());
    CHECK(partitions.size() == 2 * kMembers);
    CHECK(partitions.back() == 2 * kMembers - 1);
    CHECK(d.members.back().member_id == g.members.back().member_id);
    CHECK(d.members.back().client_id == g.members.back().client_id);
  }
  OffsetsState state;
  const Bytes key = group_key("many");
  const Bytes value = group_value(4, g);
  state.apply(7, Span(key), Span(value));
  const OffsetsGroup* stored = state.find("many");
  REQUIRE(stored != nullptr);
  REQUIRE(stored->classic);
  CHECK(stored->classic->members.size() == kMembers);
  CHECK(state.counts().malformed == 0);
}
