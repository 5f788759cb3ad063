// Burrow's lag status codes, shared by the groups collector (which evaluates them) and the
// exporters (which publish them), so Burrow's dashboards and alert rules read ours.
#pragma once

#include <cstdint>
#include <string_view>

namespace ks {

// One byte: it is in every snapshot row (GroupPartitionLag) and every partition's status.
enum class LagStatus : std::uint8_t {
  notfound = 0,
  ok = 1,
  warn = 2,
  err = 3,
  stop = 4,
  stall = 5,
  rewind = 6,
};

constexpr std::string_view status_name(LagStatus status) {
  switch (status) {
    case LagStatus::notfound: return "NOTFOUND";
    case LagStatus::ok: return "OK";
    case LagStatus::warn: return "WARN";
    case LagStatus::err: return "ERR";
    case LagStatus::stop: return "STOP";
    case LagStatus::stall: return "STALL";
    case LagStatus::rewind: return "REWIND";
  }
  return "NOTFOUND";
}

}  // namespace ks
