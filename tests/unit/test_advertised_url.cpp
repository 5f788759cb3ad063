#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>

#include "agent/advertised_url.hpp"

TEST_CASE("fleet.advertised_url: as set, else from http.listen and the host name", "[api][fleet]") {
  ks::Config config;
  config.http.listen_host = "10.1.2.3";
  config.http.listen_port = 9000;
  CHECK(ks::advertised_url(config) == "http://10.1.2.3:9000");
  config.http.listen_host = "::1";
  CHECK(ks::advertised_url(config) == "http://[::1]:9000");
  config.http.listen_host = "0.0.0.0";
  std::array<char, 256> host{};
  REQUIRE(::gethostname(host.data(), host.size() - 1) == 0);
  CHECK(ks::advertised_url(config) == "http://" + std::string(host.data()) + ":9000");
  config.fleet.advertised_url = "https://agent-7.example:443";
  CHECK(ks::advertised_url(config) == "https://agent-7.example:443");
}

TEST_CASE("fleet.advertised_url: with http.listen port 0, the port the server bound", "[api][fleet]") {
  ks::Config config;
  config.http.listen_host = "127.0.0.1";
  config.http.listen_port = 0;  // the kernel picks at start
  CHECK(ks::advertised_url(config, 43211) == "http://127.0.0.1:43211");
  config.fleet.advertised_url = "http://agent-7.example:9742";  // set: kept as it is
  CHECK(ks::advertised_url(config, 43211) == "http://agent-7.example:9742");
}
