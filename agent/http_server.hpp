// The agent's HTTP endpoints: /metrics, /healthz, /readyz and the status page at /. A Part
// (core/lifecycle.hpp): start() reads the web config (TLS, basic auth: agent/web_config.hpp)
// and binds, so a bad web config or a port in use fails the agent's startup.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/http_server_pool.hpp"
#include "agent/metrics_endpoint.hpp"
#include "agent/scheduler.hpp"
#include "core/config.hpp"
#include "core/lifecycle.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ks {

namespace web {
class BasicAuth;
class CertificateReloader;
}  // namespace web

// How the server holds connections (defaults for the agent; tests shrink them).
struct HttpServerTuning {
  WorkerPoolLimits pool;
  // A kept-alive connection with no next request is closed after this long: it holds a
  // worker meanwhile, and the agent's shutdown waits for it.
  int keep_alive_timeout_seconds = 2;
};

class HttpServer final : public Part {
 public:
  using StatusSource = std::function<std::vector<CollectorStatus>()>;

  HttpServer(const HttpConfig& config, MetricsEndpoint& metrics, StatusSource statuses,
             HttpServerTuning tuning = {});
  ~HttpServer() override;

  std::string_view name() const override { return "http"; }
  void validate() const override;
  // Reads http.web_config_file (throws naming its file and key when it is bad), binds
  // http.listen and serves on its own thread; throws "cannot listen on ..." if it cannot bind.
  void start() override;
  void request_stop() override;
  // Waits for the requests in progress (not bounded by the deadline: they are short).
  bool stop(Deadline deadline) override;
  int bound_port() const { return port_; }
  // Every request whose path starts with `prefix` goes to `handler` (after basic
  // authentication, before httplib's routes, whose regexes a long path makes recurse
  // deeply). Before start().
  using PrefixHandler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void add_prefix_route(std::string prefix, PrefixHandler handler);
  // The workers of the running server (tests watch connections queue and get refused).
  WorkerPool::Stats pool_stats() const;

 private:
  void make_server();
  void add_routes();
  // Before routing: refusal when overloaded, Connection: close while others wait, and
  // basic authentication. True when it has answered the request itself.
  bool answered_before_routing(const httplib::Request& req, httplib::Response& res);
  void serve_metrics(const httplib::Request& req, httplib::Response& res);

  HttpConfig config_;
  MetricsEndpoint& metrics_;
  StatusSource statuses_;
  HttpServerTuning tuning_;
  std::unique_ptr<web::CertificateReloader> certificates_;  // with TLS only
  std::unique_ptr<web::BasicAuth> auth_;                    // with basic_auth_users only
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool stop_requested_ = false;  // by the thread that owns the server
  int port_ = 0;
  int listener_ = -1;  // the listening socket, owned by server_
  std::vector<std::pair<std::string, PrefixHandler>> prefix_routes_;
};

// JSON body of /readyz; `ready` is set to whether every collector has succeeded once.
std::string readiness_json(const std::vector<CollectorStatus>& statuses, bool& ready);

}  // namespace ks
