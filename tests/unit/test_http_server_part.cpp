#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/http_server.hpp"
#include "agent/metrics_endpoint.hpp"
#include "agent/self_metrics.hpp"

using namespace std::chrono_literals;

namespace {

std::vector<ks::CollectorStatus> no_collectors() { return {}; }

}  // namespace

TEST_CASE("the HTTP server fails to start on a port in use", "[http][parts]") {
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics(self);
  ks::HttpServer first(ks::HttpConfig{"127.0.0.1", 0, "", false}, metrics, no_collectors);
  first.start();
  REQUIRE(first.bound_port() > 0);
  const std::string port = std::to_string(first.bound_port());
  ks::HttpServer second(ks::HttpConfig{"127.0.0.1", first.bound_port(), "", false}, metrics, no_collectors);
  CHECK_THROWS_WITH(second.start(), Catch::Contains("cannot listen on 127.0.0.1:" + port));
  // Stopped right after it started (as when a later part fails to start): the stop is not
  // lost on a server thread that has not entered its accept loop yet.
  first.request_stop();
  CHECK(first.stop(std::chrono::steady_clock::now() + 5s));
  CHECK(second.stop(std::chrono::steady_clock::now() + 5s));  // never started: nothing to do
}

TEST_CASE("the HTTP server's validation names http.listen", "[http][parts]") {
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics(self);
  CHECK_NOTHROW(ks::HttpServer(ks::HttpConfig{"0.0.0.0", 9308, "", false}, metrics, no_collectors).validate());
  CHECK_THROWS_WITH(ks::HttpServer(ks::HttpConfig{"0.0.0.0", 70000, "", false}, metrics, no_collectors).validate(),
                    "http.listen: the port must be between 0 and 65535, got 70000");
  CHECK_THROWS_WITH(ks::HttpServer(ks::HttpConfig{"", 9308, "", false}, metrics, no_collectors).validate(),
                    "http.listen: the host must not be empty");
}
