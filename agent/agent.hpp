// The running agent: collectors on their threads, snapshots, the HTTP server; started and
// stopped as one.
#pragma once

#include <memory>
#include <string>

#include "core/config.hpp"

namespace ks {

// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_agent(const Config& config);

}  // namespace ks
