#pragma once

#include "core/config.hpp"

namespace ks {

// Sets up the default spdlog logger on stderr: human-readable text, or one JSON object
// per line (for log shippers) when log.format is "json".
void setup_logging(const LogConfig& config);

}  // namespace ks
