#include "fleet/fleet_member.hpp"

#include <charconv>

namespace ks::fleet {
namespace {

constexpr std::string_view kFleetInfix = "-fleet-";

// "<digits>" as a broker id; -1 when it is not one.
std::int32_t broker_id_of(std::string_view text) {
  std::int32_t id = -1;
  if (text.empty()) return -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && end == text.data() + text.size() && id >= 0 ? id : -1;
}

}  // namespace

std::string fleet_client_id(const std::string& client_id, const std::string& node,
                            std::int32_t broker_id, const std::string& url) {
  std::string out = client_id + std::string(kFleetInfix) + node;
  if (broker_id >= 0) out += "~" + std::to_string(broker_id);
  if (!url.empty()) out += "@" + url;
  return out;
}

MemberIdentity parse_fleet_client_id(const std::string& member_client_id,
                                     const std::string& own_client_id) {
  const std::string own = own_client_id + std::string(kFleetInfix);
  std::string rest = member_client_id;
  if (member_client_id.starts_with(own)) {
    rest = member_client_id.substr(own.size());
  } else if (const std::size_t at = member_client_id.find(kFleetInfix); at != std::string::npos) {
    rest = member_client_id.substr(at + kFleetInfix.size());
  }
  MemberIdentity out;
  const std::size_t at = rest.find('@');  // node names and broker ids have none
  if (at != std::string::npos) out.url = rest.substr(at + 1);
  out.node = rest.substr(0, at);
  if (const std::size_t tilde = out.node.rfind('~'); tilde != std::string::npos) {
    if (const std::int32_t id = broker_id_of(std::string_view(out.node).substr(tilde + 1)); id >= 0) {
      out.broker_id = id;
      out.node.resize(tilde);
    }
  }
  return out;
}

std::set<std::int32_t> claimed_brokers(const std::vector<FleetMember>& members) {
  std::set<std::int32_t> out;
  for (const FleetMember& m : members) {
    if (m.broker_id >= 0) out.insert(m.broker_id);
  }
  return out;
}

}  // namespace ks::fleet
