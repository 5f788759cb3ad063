#include "agent/burrow_routes.hpp"

#include <httplib.h>
#include <unistd.h>

#include <climits>
#include <sstream>

#include "exporters/burrow/burrow_router.hpp"

namespace ks {
namespace {

// Burrow's request.host: the name of the host that answered.
std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

burrow::Json optional_profile(bool present, burrow::Json profile) {
  return present ? std::move(profile) : burrow::Json(nullptr);
}

// What /v3/kafka/{cluster} says: Burrow shows its cluster module's config, so the agent
// shows the equivalent of its own (no secret: the SASL password is never in it).
burrow::ClusterModule cluster_module(const Config& config) {
  burrow::ClusterModule module;
  std::stringstream servers(config.kafka.bootstrap_servers);
  for (std::string server; std::getline(servers, server, ',');) {
    if (!server.empty()) module.servers.push_back(server);
  }
  module.client_id = config.kafka.client_id;
  module.topic_refresh_seconds = config.collectors.brokers.interval.count() / 1000;
  module.offset_refresh_seconds = config.collectors.groups.interval.count() / 1000;
  const auto property = [&](const std::string& key) {
    const auto it = config.kafka.properties.find(key);
    return it == config.kafka.properties.end() ? std::string() : it->second;
  };
  const std::string protocol = property("security.protocol");
  const bool tls = protocol == "SSL" || protocol == "SASL_SSL" || protocol == "ssl" ||
                   protocol == "sasl_ssl";
  module.tls = optional_profile(
      tls, {{"name", "kafka"},
            {"noverify", property("enable.ssl.certificate.verification") == "false"},
            {"certfile", property("ssl.certificate.location")},
            {"keyfile", property("ssl.key.location")},
            {"cafile", property("ssl.ca.location")}});
  module.sasl = optional_profile(protocol.rfind("SASL", 0) == 0 || protocol.rfind("sasl", 0) == 0,
                                 {{"name", "kafka"},
                                  {"handshake-first", true},
                                  {"username", property("sasl.username")}});
  return module;
}

}  // namespace

HttpServer::PrefixHandler burrow_handler(const Config& config, const Snapshots& snapshots) {
  return [&config, &snapshots, module = cluster_module(config), host = host_name()](
             const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {  // Burrow's DELETEs are not served
      res.status = 405;
      res.set_header("Allow", "GET");
      res.set_content("Method Not Allowed\n", "text/plain; charset=utf-8");
      return;
    }
    const burrow::Sources sources{config.burrow.cluster, module, snapshots.cluster.get(),
                                  snapshots.groups.get()};
    const burrow::Answer answer = burrow::answer(sources, req.path, host);
    res.status = answer.status;
    res.set_content(answer.body, answer.content_type);
  };
}

}  // namespace ks
