// The version of the Kafka client library the agent runs with (build_info, --version, the
// startup line), without its header.
#pragma once

#include <string>

namespace ks::kafka {

std::string library_version();  // "2.0.2"

}  // namespace ks::kafka
