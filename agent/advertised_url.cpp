#include "agent/advertised_url.hpp"

#include <unistd.h>

#include <array>

#include "agent/web_config.hpp"

namespace ks {
namespace {

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

bool serves_tls(const HttpConfig& http) {
  if (http.web_config_file.empty()) return false;
  return web::load_web_config_file(http.web_config_file).config.tls.has_value();
}

}  // namespace

std::string advertised_url(const Config& config) { return advertised_url(config, config.http.listen_port); }

std::string advertised_url(const Config& config, int port) {
  if (!config.fleet.advertised_url.empty()) return config.fleet.advertised_url;
  const HttpConfig& http = config.http;
  const bool any = http.listen_host.empty() || http.listen_host == "0.0.0.0" || http.listen_host == "::" ||
                   http.listen_host == "[::]";
  std::string host = any ? host_name() : http.listen_host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return (serves_tls(http) ? "https://" : "http://") + host + ":" + std::to_string(port);
}

}  // namespace ks
