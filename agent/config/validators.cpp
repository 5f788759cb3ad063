#include "agent/config/validators.hpp"

#include <algorithm>
#include <array>
#include <regex>

#include <fmt/format.h>

namespace ks::config {
namespace {

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug", "info",    "warn",
                                                     "error", "critical", "off"};

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hostname_char(char c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; }

// Inside brackets: hex digits, ':' and '.', and a zone after '%' ("fe80::1%eth0").
bool is_ipv6_char(char c) { return is_alnum(c) || c == ':' || c == '.' || c == '%' || c == '-' || c == '_'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string parse_port(std::string_view text, int& port, int lowest) {
  const std::string problem = "port must be a number from " + std::to_string(lowest) + " to 65535, got " + quote(text);
  if (text.empty()) return "missing port after \":\"";
  if (text.size() > 5) return problem;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return problem;
    value = value * 10 + (c - '0');
  }
  if (value < lowest || value > 65535) return problem;
  port = value;
  return "";
}

}  // namespace

std::string quote(std::string_view value) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < kMaxShown; ++i) {
    const char c = value[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  if (value.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

std::string parse_host_port(std::string_view text, std::string& host, int& port, int lowest_port) {
  if (text.empty()) return "empty address";
  std::string_view host_part;
  std::string_view port_part;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return "missing \"]\" after the IPv6 address";
    host_part = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return "missing \":PORT\"";
    port_part = rest.substr(1);
    if (host_part.empty()) return "empty host";
    if (host_part.find(':') == std::string_view::npos) {
      return "brackets are for IPv6 addresses, got " + quote(host_part);
    }
    for (char c : host_part) {
      if (!is_ipv6_char(c)) return "invalid IPv6 address " + quote(host_part);
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return "missing \":PORT\"";
    host_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
    if (host_part.empty()) return "empty host";
    const bool looks_ipv6 = std::all_of(host_part.begin(), host_part.end(), [](char c) {
      return c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
             (c >= 'A' && c <= 'F');
    });
    if (looks_ipv6 && host_part.find(':') != std::string_view::npos) {
      return "IPv6 addresses need brackets, like \"[::1]:9092\"";
    }
    for (char c : host_part) {
      if (!is_hostname_char(c)) return "invalid host " + quote(host_part);
    }
  }
  int parsed_port = 0;
  if (std::string problem = parse_port(port_part, parsed_port, lowest_port); !problem.empty()) return problem;
  host = std::string(host_part);
  port = parsed_port;
  return "";
}

std::string parse_listen(std::string_view text, HttpConfig& config) {
  std::string host;
  int port = 0;
  std::string problem = parse_host_port(text, host, port, 0);  // 0: the kernel picks one
  if (!problem.empty()) {
    if (problem == "empty host") problem += " (0.0.0.0 listens on all IPv4 interfaces, [::] on all)";
    return "invalid address " + quote(text) + ": " + problem +
           " (expected \"HOST:PORT\" like \"0.0.0.0:9742\" or \"[::]:9742\")";
  }
  config.listen_host = std::move(host);
  config.listen_port = port;
  return "";
}

std::string check_bootstrap_servers(std::string_view text) {
  if (trim(text).empty()) return "expected at least one broker as \"HOST:PORT\", got an empty list";
  std::size_t entry_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view entry = trim(text.substr(start, comma - start));
    ++entry_number;
    if (entry.empty()) {
      return fmt::format("entry {} of the broker list is empty (a stray comma?)", entry_number);
    }
    std::string host;
    int port = 0;
    if (std::string problem = parse_host_port(entry, host, port); !problem.empty()) {
      return "invalid broker address " + quote(entry) + ": " + problem +
             " (expected \"HOST:PORT,HOST:PORT...\")";
    }
    start = comma + 1;
  }
  return "";
}

std::string check_log_level(std::string_view level) {
  for (std::string_view known : kLogLevels) {
    if (level == known) return "";
  }
  return "expected one of trace, debug, info, warn, error, critical, off, got " + quote(level);
}

std::string check_log_format(std::string_view format) {
  if (format == "text" || format == "json") return "";
  return "expected text or json, got " + quote(format);
}

std::string check_groups_source(std::string_view source) {
  if (source == "auto" || source == "offsets_topic" || source == "admin_api") return "";
  return "expected auto, offsets_topic or admin_api, got " + quote(source);
}

std::string check_regex(std::string_view pattern) {
  if (pattern.empty()) return "empty regular expression (it would match only an empty name)";
  try {
    std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return "invalid regular expression " + quote(pattern) + ": " + e.what();
  }
  return "";
}

}  // namespace ks::config
