// The URL a fleet agent gives the others for its own HTTP endpoint (fleet.advertised_url),
// so that an agent's answer about a group it does not own points at the one that does.
#pragma once

#include <string>

#include "core/config.hpp"

namespace ks {

// fleet.advertised_url when set; else "https://" when the web config has TLS ("http://"
// otherwise), the listen address when it names one (not 0.0.0.0 or ::), else this host's
// name, and the listen port.
std::string advertised_url(const Config& config);
// The same with `port` for the listen port: the one the HTTP server actually bound (with
// `--listen :0` the kernel picks it).
std::string advertised_url(const Config& config, int port);

}  // namespace ks
