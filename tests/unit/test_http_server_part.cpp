#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <string>
#include <thread>
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

namespace {

// A raw loopback connection to the server (the test controls when it sends what).
struct RawConnection {
  int fd = -1;
  explicit RawConnection(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};  // a bound on every read: a broken server fails the test, not hangs it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  ~RawConnection() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void get(const std::string& path) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
    REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  }
  // The response's head (status line and headers), as far as the blank line.
  std::string head() {
    std::string out;
    char c = 0;
    while (out.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) out += c;
    return out;
  }
};

template <typename Predicate>
bool eventually(Predicate predicate) {
  for (int i = 0; i < 10000 && !predicate(); ++i) std::this_thread::sleep_for(1ms);
  return predicate();
}

}  // namespace

TEST_CASE("a connection past the workers and the queue is refused at once with 503", "[http][pool]") {
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics(self);
  ks::HttpServerTuning tuning;
  tuning.pool = {/*max_workers=*/1, /*max_queued=*/1};
  tuning.keep_alive_timeout_seconds = 30;  // the silent connection holds the only worker
  ks::HttpServer server(ks::HttpConfig{"127.0.0.1", 0, "", false}, metrics, no_collectors, tuning);
  server.start();

  RawConnection holder(server.bound_port());  // connected, silent: its worker waits for it
  REQUIRE(eventually([&] { return server.pool_stats().busy == 1; }));
  RawConnection queued(server.bound_port());
  queued.get("/healthz");
  REQUIRE(eventually([&] { return server.pool_stats().queued == 1; }));

  RawConnection refused(server.bound_port());
  refused.get("/healthz");
  const std::string refusal = refused.head();  // while the worker is still held
  CHECK_THAT(refusal, Catch::StartsWith("HTTP/1.1 503"));
  CHECK_THAT(refusal, Catch::Contains("Retry-After: 1"));
  CHECK_THAT(refusal, Catch::Contains("Connection: close"));
  CHECK(server.pool_stats().refused == 1);
  CHECK(server.pool_stats().queued == 1);

  holder.close();  // the worker is free: the queued connection is served, and told to close
  const std::string served = queued.head();  // (others waited when it was taken)
  CHECK_THAT(served, Catch::StartsWith("HTTP/1.1 200"));
  // As clients do after "Connection: close" (until then the server waits for their next
  // request, up to the keep-alive timeout, and so would its stop).
  queued.close();
  refused.close();
  server.request_stop();
  CHECK(server.stop(std::chrono::steady_clock::now() + 5s));
}
