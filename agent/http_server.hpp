// The agent's HTTP endpoints: /metrics, /healthz, /readyz and an index at /. A Part
// (core/lifecycle.hpp): start() binds, so a port in use fails the agent's startup.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

class HttpServer final : public Part {
 public:
  using StatusSource = std::function<std::vector<CollectorStatus>()>;

  HttpServer(const HttpConfig& config, MetricsEndpoint& metrics, StatusSource statuses);
  ~HttpServer() override;

  std::string_view name() const override { return "http"; }
  void validate() const override;
  // Binds http.listen and serves on its own thread; throws "cannot listen on ..." if it
  // cannot bind.
  void start() override;
  void request_stop() override;
  // Waits for the requests in progress (not bounded by the deadline: they are short).
  bool stop(Deadline deadline) override;
  int bound_port() const { return port_; }

 private:
  void serve_metrics(const httplib::Request& req, httplib::Response& res);

  HttpConfig config_;
  MetricsEndpoint& metrics_;
  StatusSource statuses_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool stop_requested_ = false;  // by the thread that owns the server
  int port_ = 0;
};

// JSON body of /readyz; `ready` is set to whether every collector has succeeded once.
std::string readiness_json(const std::vector<CollectorStatus>& statuses, bool& ready);

}  // namespace ks
