// The probe's message: who sent it (agent id and run id: several agents may probe one topic,
// and a restarted agent must not take its previous run's messages for its own), where to
// (partition), its place in that partition's sequence and when it was sent (Unix ms, for any
// other reader; the agent measures latencies on its own monotonic clock).
//
// Text, space-separated: "ksprobe1 <agent> <run> <partition> <sequence> <sent_ms> xxx...",
// padded with 'x' to the configured size. The agent id never holds a space (see encode).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ks::probe {

struct ProbeMessage {
  std::string agent;
  std::uint64_t run = 0;
  std::int32_t partition = -1;
  std::uint64_t sequence = 0;
  std::int64_t sent_unix_ms = 0;
};

// Spaces and control characters in the agent id become '_'. `size`: the value's length at
// least (shorter sizes give the unpadded text).
std::string encode(const ProbeMessage& message, std::size_t size);
// nullopt: not a probe message (another format, or damaged).
std::optional<ProbeMessage> decode(std::string_view value);
// The agent id as encode() writes it (to compare with what decode() reads back).
std::string wire_agent_id(std::string_view agent);

}  // namespace ks::probe
