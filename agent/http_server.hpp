// The agent's HTTP endpoints: /metrics, /healthz, /readyz and an index at /.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics_endpoint.hpp"
#include "agent/scheduler.hpp"

namespace httplib {
class Server;
}

namespace ks {

class HttpServer {
 public:
  using StatusSource = std::function<std::vector<CollectorStatus>()>;

  HttpServer(MetricsEndpoint& metrics, StatusSource statuses);
  ~HttpServer();

  // Binds and starts serving on its own thread; false (with `error` set) if it cannot bind.
  bool start(const std::string& host, int port, std::string& error);
  void stop();
  int bound_port() const { return port_; }

 private:
  MetricsEndpoint& metrics_;
  StatusSource statuses_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// JSON body of /readyz; `ready` is set to whether every collector has succeeded once.
std::string readiness_json(const std::vector<CollectorStatus>& statuses, bool& ready);

}  // namespace ks
