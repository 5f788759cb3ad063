// Burrow's v3 API (/v3/kafka/...) on the agent's HTTP server, answered from the latest
// snapshots (exporters/burrow/): never waiting on Kafka.
#pragma once

#include "agent/http_server.hpp"
#include "core/config.hpp"
#include "core/snapshots.hpp"

namespace ks {

// The handler of every path under /v3/ (HttpServer::add_prefix_route). `config` and
// `snapshots` outlive the server.
HttpServer::PrefixHandler burrow_handler(const Config& config, const Snapshots& snapshots);

}  // namespace ks
