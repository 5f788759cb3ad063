// Checks of single config values, shared by the YAML loader, the built-in defaults and the
// command-line overrides. Each returns "" when the value is fine, else the problem message
// (without file, line or key path: the caller knows those).
#pragma once

#include <string>
#include <string_view>

#include "core/config.hpp"

namespace ks::config {

// "HOST:PORT" or "[IPV6]:PORT" (brackets required for IPv6, removed in `host`); the port
// from `lowest_port` to 65535.
std::string parse_host_port(std::string_view text, std::string& host, int& port, int lowest_port = 1);

// http.listen / --listen: parse_host_port into config.listen_host and listen_port (left
// unchanged when invalid). Port 0: the kernel picks a free one when the server starts.
std::string parse_listen(std::string_view text, HttpConfig& config);

// kafka.bootstrap_servers / --bootstrap-servers: "HOST:PORT[,HOST:PORT...]", spaces around
// commas allowed.
std::string check_bootstrap_servers(std::string_view text);

// log.level / --log-level: trace, debug, info, warn, error, critical or off.
std::string check_log_level(std::string_view level);

// log.format: text or json.
std::string check_log_format(std::string_view format);
// collectors.groups.source: auto, offsets_topic or admin_api.
std::string check_groups_source(std::string_view source);

// Name filters: a std::regex (ECMAScript) that compiles and is not empty.
std::string check_regex(std::string_view pattern);

// "value" in double quotes with quotes and control characters escaped, long values cut.
std::string quote(std::string_view value);

}  // namespace ks::config
