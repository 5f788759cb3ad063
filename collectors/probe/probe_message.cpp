#include "collectors/probe/probe_message.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace ks::probe {
namespace {

constexpr std::string_view kMagic = "ksprobe1";

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> fields(std::string_view value, std::size_t wanted) {
  std::vector<std::string_view> out;
  while (out.size() < wanted && !value.empty()) {
    const std::size_t space = value.find(' ');
    out.push_back(value.substr(0, space));
    value = space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
  }
  return out;
}

}  // namespace

std::string wire_agent_id(std::string_view agent) {
  std::string out(agent);
  for (char& c : out) {
    if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  }
  return out.empty() ? std::string("_") : out;
}

std::string encode(const ProbeMessage& m, std::size_t size) {
  std::string out = fmt::format("{} {} {} {} {} {} ", kMagic, wire_agent_id(m.agent), m.run,
                                m.partition, m.sequence, m.sent_unix_ms);
  if (out.size() < size) out.append(size - out.size(), 'x');
  return out;
}

std::optional<ProbeMessage> decode(std::string_view value) {
  const std::vector<std::string_view> f = fields(value, 6);
  if (f.size() != 6 || f[0] != kMagic || f[1].empty()) return std::nullopt;
  ProbeMessage m;
  m.agent = std::string(f[1]);
  if (!parse_number(f[2], m.run) || !parse_number(f[3], m.partition) ||
      !parse_number(f[4], m.sequence) || !parse_number(f[5], m.sent_unix_ms)) {
    return std::nullopt;
  }
  return m;
}

}  // namespace ks::probe
