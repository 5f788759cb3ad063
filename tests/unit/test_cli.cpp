#include <catch2/catch.hpp>

#include "agent/cli.hpp"

using ks::CliOptions;
using ks::parse_cli;

TEST_CASE("run is the default command", "[cli]") {
  auto p = parse_cli({});
  REQUIRE(p.error.empty());
  CHECK(p.options.command == CliOptions::Command::run);
  CHECK_FALSE(p.options.config_path);
}

TEST_CASE("run with config and overrides, both flag styles", "[cli]") {
  auto p = parse_cli({"run", "--config", "a.yaml", "--listen=127.0.0.1:1", "--bootstrap-servers",
                      "k:9092", "--log-level", "debug"});
  REQUIRE(p.error.empty());
  CHECK(p.options.command == CliOptions::Command::run);
  CHECK(*p.options.config_path == "a.yaml");
  CHECK(*p.options.listen == "127.0.0.1:1");
  CHECK(*p.options.bootstrap_servers == "k:9092");
  CHECK(*p.options.log_level == "debug");
}

TEST_CASE("check-config takes a file", "[cli]") {
  auto p = parse_cli({"check-config", "x.yaml"});
  REQUIRE(p.error.empty());
  CHECK(p.options.command == CliOptions::Command::check_config);
  CHECK(*p.options.config_path == "x.yaml");
  CHECK_FALSE(parse_cli({"check-config"}).error.empty());
}

TEST_CASE("version, help and usage errors", "[cli]") {
  CHECK(parse_cli({"--version"}).options.command == CliOptions::Command::version);
  CHECK(parse_cli({"--help"}).options.command == CliOptions::Command::help);
  CHECK(parse_cli({"--frobnicate"}).error == "unknown argument \"--frobnicate\"");
  CHECK(parse_cli({"--listen"}).error == "--listen needs a value");
}

TEST_CASE("the flag --web.config.file names the HTTP endpoint's web config", "[cli]") {
  auto p = parse_cli({"--web.config.file", "web.yml"});
  REQUIRE(p.error.empty());
  CHECK(*p.options.web_config_file == "web.yml");
  CHECK(*parse_cli({"run", "--web.config.file=/etc/w.yml"}).options.web_config_file == "/etc/w.yml");
  CHECK(parse_cli({"--web.config.file"}).error == "--web.config.file needs a value");
}
