// How long a broker must stay unclaimed before the fleet's leader adopts it (probes its
// partitions besides its own broker's). A sidecar that starts joins the fleet's group a
// few seconds after the first agent: adopted at once, its broker would be probed by the
// leader too until the next description of the group's members (no two agents may probe
// one partition). A sidecar that died has already been gone a whole session timeout when
// its member leaves the group, so holding one more (fleet.session_timeout) costs a takeover
// that much and spares every fleet start a burst of double probing.
//
// Pure bookkeeping, no I/O, not thread-safe (the collector's thread alone uses it).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace ks::probe {

class AdoptionHold {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AdoptionHold(Clock::duration hold) : hold_(hold) {}

  // `unclaimed`: the live brokers no member claims now. Returns those unclaimed since at
  // least `hold` ago, ascending; a broker claimed again, even for one call, starts over.
  // nullopt (not the leader for a moment, as in every eager rebalance, or no member list of
  // its term yet): none adopted, the times kept, so a leader that stays one adopts again at
  // once.
  std::vector<std::int32_t> update(const std::optional<std::vector<std::int32_t>>& unclaimed,
                                   Clock::time_point now);

 private:
  Clock::duration hold_;
  std::map<std::int32_t, Clock::time_point> since_;  // unclaimed since, by broker
};

}  // namespace ks::probe
