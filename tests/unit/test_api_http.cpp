// The JSON API through the real HTTP server (agent/http_server.hpp, agent/api_routes.hpp)
// and the `lag` and `status` commands against it: basic authentication applies to /api,
// hostile raw requests leave the server answering, the commands' tables and exit codes.
#include <crypt.h>
#include <httplib.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/api_routes.hpp"
#include "agent/cli.hpp"
#include "agent/client_commands.hpp"
#include "agent/http_server.hpp"
#include "agent/self_metrics.hpp"
#include "api_fixtures.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<ks::CollectorStatus> no_collectors() { return {}; }

// An agent's HTTP server with the JSON API over the fixtures' snapshots.
struct ApiServer {
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics{self};
  ks::Snapshots snapshots;
  ks::ApiRouter router;
  ks::HttpServer server;

  explicit ApiServer(const std::string& web_config = "")
      : router(sources()), server(ks::HttpConfig{"127.0.0.1", 0, web_config, false}, metrics, no_collectors) {
    snapshots.cluster.publish(std::make_shared<const ks::ClusterSnapshot>(ks::testing::api_cluster_fixture()));
    snapshots.groups.publish(std::make_shared<const ks::GroupsSnapshot>(ks::testing::api_groups_fixture()));
    server.add_prefix_route("/api/", ks::api_handler(router));
    server.start();
  }
  ~ApiServer() { server.stop(std::chrono::steady_clock::now() + 5s); }
  ks::ApiSources sources() {
    ks::ApiSources s;
    s.snapshots = &snapshots;
    return s;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.bound_port()); }
};

std::string bcrypt(const std::string& password) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting.data(), static_cast<int>(setting.size())));
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), setting.data(), &data, sizeof(data));
  REQUIRE(hash != nullptr);
  return hash;
}

bool response_complete(const std::string& reply) {
  const std::size_t end = reply.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const std::size_t length = reply.find("Content-Length: ");
  if (length == std::string::npos || length > end) return true;
  return reply.size() >= end + 4 + std::stoul(reply.substr(length + 16));
}

// A request written byte for byte: what no well-behaved client would send.
std::string raw_request(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  // Read the one response (its headers and Content-Length bytes), not to the connection's
  // end: a kept-alive connection stays open until the server's keep-alive timeout.
  std::string reply;
  char buffer[4096];
  for (ssize_t n; !response_complete(reply) && (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace

TEST_CASE("api over HTTP: JSON with the snapshot's age, errors as JSON", "[api][http]") {
  ApiServer api;
  httplib::Client client(api.url());
  const auto groups = client.Get("/api/v1/groups?partitions=true");
  REQUIRE(groups);
  CHECK(groups->status == 200);
  CHECK(groups->get_header_value("Content-Type") == "application/json");
  const json body = json::parse(groups->body);
  CHECK(body["snapshot_age_seconds"].is_number());
  CHECK(body["groups"][0]["topics"][0]["partitions"][0]["lag"] == 10);
  const auto missing = client.Get("/api/v1/groups/nope%2Fnot%20here");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(json::parse(missing->body)["group"] == "nope/not here");
  const auto bad = client.Get("/api/v1/topics/a%00b");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  const auto post = client.Post("/api/v1/groups", "{}", "application/json");
  REQUIRE(post);
  CHECK(post->status == 405);
}

TEST_CASE("api over HTTP: hostile raw requests never stop the server answering", "[api][http]") {
  ApiServer api;
  const int port = api.server.bound_port();
  const std::vector<std::string> hostile = {
      "GET /api/v1/groups/" + std::string(20000, 'x') + " HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/v1/groups?" + std::string(20000, 'p') + "=1 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /api/v1/groups/%zz%%%0 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "GET /api/v1/../../../etc/passwd HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      std::string("GET /api/v1/cl\0uster HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 62),
      "GET /api/v1/groups?partitions=%ff%fe&partitions=%00 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "GET " + std::string(7000, '/') + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "GET /api/v1/groups HTTP/1.1\r\n" + std::string(9000, 'H') + ": x\r\n\r\n",
  };
  for (const std::string& request : hostile) {
    INFO(request.substr(0, 40));
    const std::string reply = raw_request(port, request);
    if (!reply.empty()) CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 4"));
    httplib::Client client(api.url());
    const auto after = client.Get("/api/v1/cluster");
    REQUIRE(after);
    CHECK(after->status == 200);
  }
}

TEST_CASE("api over HTTP: basic authentication of the web config applies to /api", "[api][http][web-config]") {
  const auto dir = std::filesystem::temp_directory_path() / ("ks-api-auth-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "web.yml") << "basic_auth_users:\n  alice: " << bcrypt("secret") << "\n";
  {
    ApiServer api((dir / "web.yml").string());
    httplib::Client client(api.url());
    const auto anonymous = client.Get("/api/v1/cluster");
    REQUIRE(anonymous);
    CHECK(anonymous->status == 401);
    CHECK(anonymous->body.find("abc-cluster") == std::string::npos);
    client.set_basic_auth("alice", "wrong");
    CHECK(client.Get("/api/v1/groups/orders-app")->status == 401);
    client.set_basic_auth("alice", "secret");
    const auto allowed = client.Get("/api/v1/cluster");
    REQUIRE(allowed);
    CHECK(allowed->status == 200);
    CHECK(json::parse(allowed->body)["cluster_id"] == "abc-cluster");
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("lag command: the table of a group from a running agent, and exit codes", "[api][cli]") {
  ApiServer api;
  ks::ClientCommandOptions options;
  options.urls = {api.url()};
  options.group = "orders-app";
  std::ostringstream out, err;
  CHECK(ks::run_lag_command(options, out, err) == 0);
  CHECK(out.str() ==
        "GROUP       TOPIC   PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  LAG-SECONDS  STATUS    CATCH-UP\n"
        "orders-app  orders          0             100             110   10        12.5s  WARN          7.5s\n"
        "orders-app  orders          1              50              77   20            -  OK            7.5s\n"
        "orders-app  orders          2               3               -    -            -  NOTFOUND      7.5s\n");
  CHECK_THAT(err.str(), Catch::StartsWith("1 groups, 3 partitions; snapshot "));

  std::ostringstream json_out, json_err;
  options.json = true;
  CHECK(ks::run_lag_command(options, json_out, json_err) == 0);
  CHECK(json::parse(json_out.str())["topics"][0]["partitions"][1]["lag"] == 20);

  options.group = "nope";
  std::ostringstream none, none_err;
  CHECK(ks::run_lag_command(options, none, none_err) == ks::kExitUnhealthy);
  CHECK_THAT(none_err.str(), Catch::Contains("no consumer group 'nope'"));
}

TEST_CASE("lag and status commands: an unreachable agent exits 3, a down broker exits 1", "[api][cli]") {
  std::string dead_url;
  {
    ApiServer gone;
    dead_url = gone.url();
  }  // stopped: nothing listens on its port any more
  ks::ClientCommandOptions options;
  options.urls = {dead_url};
  std::ostringstream out, err;
  CHECK(ks::run_lag_command(options, out, err) == ks::kExitUnreachable);
  CHECK_THAT(err.str(), Catch::Contains(dead_url));
  CHECK(ks::run_status_command(options, out, err) == ks::kExitUnreachable);

  ApiServer api;  // the fixture's broker 2 is down and a partition offline
  options.urls = {dead_url, api.url()};  // the first agent is down: the second answers
  std::ostringstream status, status_err;
  CHECK(ks::run_status_command(options, status, status_err) == ks::kExitUnhealthy);
  CHECK_THAT(status.str(), Catch::StartsWith("cluster abc-cluster: up, controller 1, 1/2 brokers up"));
  CHECK_THAT(status.str(), Catch::Contains("     2  127.0.0.1:9093  -     DOWN"));
  CHECK_THAT(status_err.str(), Catch::Contains("unhealthy: broker 2 down"));
  CHECK_THAT(status_err.str(), Catch::Contains("unhealthy: 1 offline partitions"));
}

TEST_CASE("lag table: aligned columns within 120 characters, long names cut", "[api][cli]") {
  std::vector<ks::LagRow> rows;
  rows.push_back({std::string(80, 'g'), std::string(100, 't'), 7, 123456789, 123456799, 10, 3725.0,
                  true, "STALL", std::nullopt});
  rows.push_back({"short", "t", 11, 5, 5, 0, 0.25, false, "OK", 90000.0});
  const std::string table = ks::render_lag_table(rows);
  std::istringstream lines(table);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  REQUIRE(all.size() == 3);
  for (const std::string& line : all) CHECK(line.size() <= 120);
  CHECK(all[0].find("PARTITION") == all[1].find("        7") );
  CHECK_THAT(all[1], Catch::Contains("g~"));
  CHECK_THAT(all[1], Catch::Contains(">1h02m"));
  CHECK_THAT(all[2], Catch::Contains("250ms"));
  CHECK_THAT(all[2], Catch::EndsWith("1d01h"));
  // Right-aligned numbers end in the same column as their header.
  CHECK(all[0].find("LAG ") + 3 == all[1].find("10 ") + 2);
}

TEST_CASE("lag rows sort by lag or lag seconds, highest first, unknown last", "[api][cli]") {
  std::vector<ks::LagRow> rows = {{"a", "t", 0, 0, 5, 5, 1.0, false, "OK", {}},
                                  {"b", "t", 0, 0, 5, std::nullopt, std::nullopt, false, "OK", {}},
                                  {"c", "t", 0, 0, 9, 9, 0.5, false, "OK", {}}};
  ks::sort_lag_rows(rows, ks::LagSort::lag);
  CHECK((rows[0].group + rows[1].group + rows[2].group) == "cab");
  ks::sort_lag_rows(rows, ks::LagSort::seconds);
  CHECK((rows[0].group + rows[1].group + rows[2].group) == "acb");
  ks::sort_lag_rows(rows, ks::LagSort::name);
  CHECK((rows[0].group + rows[1].group + rows[2].group) == "abc");
}

TEST_CASE("lag and status parse their flags, with errors naming the flag", "[api][cli]") {
  const ks::CliParse parse = ks::parse_cli({"lag", "--group=g1", "--sort", "seconds", "--url", "h:1", "--json",
                                            "--config", "x.yaml"});
  REQUIRE(parse.error.empty());
  CHECK(parse.options.command == ks::CliOptions::Command::lag);
  CHECK(parse.options.config_path == "x.yaml");
  ks::ClientCommandOptions o;
  CHECK(ks::parse_client_arguments(parse.options.rest, true, o).empty());
  CHECK(o.group == "g1");
  CHECK(o.sort == ks::LagSort::seconds);
  CHECK(o.urls == std::vector<std::string>{"h:1"});
  CHECK(o.json);
  ks::ClientCommandOptions bad;
  CHECK(ks::parse_client_arguments({"--sort", "size"}, true, bad) == "--sort must be lag or seconds, got \"size\"");
  CHECK(ks::parse_client_arguments({"--group", "g", "--all"}, true, bad) == "--group and --all exclude each other");
  CHECK(ks::parse_client_arguments({"--group"}, true, bad) == "--group needs a group name");
  CHECK(ks::parse_client_arguments({"--group", "g"}, false, bad) == "unknown argument \"--group\"");
  CHECK(ks::parse_cli({"status", "stray"}).error == "unknown argument \"stray\"");
  CHECK(ks::default_agent_url(ks::HttpConfig{"0.0.0.0", 9742, "", false}) == "http://127.0.0.1:9742");
  CHECK(ks::default_agent_url(ks::HttpConfig{"::1", 9000, "", false}) == "http://[::1]:9000");
}

TEST_CASE("lag and status on an agent with basic auth: credentials given, missing, rejected", "[api][cli][web-config]") {
  const auto dir = std::filesystem::temp_directory_path() / ("ks-cli-auth-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "web.yml") << "basic_auth_users:\n  alice: " << bcrypt("secret") << "\n";
  std::ofstream(dir / "password") << "secret\n";
  {
    ApiServer api((dir / "web.yml").string());
    ks::ClientCommandOptions options;
    options.urls = {api.url()};
    options.group = "orders-app";
    std::ostringstream out, missing;
    CHECK(ks::run_lag_command(options, out, missing) == ks::kExitUnreachable);
    CHECK_THAT(missing.str(), Catch::Contains("HTTP 401: the agent requires credentials (give --user USER"));
    CHECK(ks::run_status_command(options, out, missing) == ks::kExitUnreachable);

    REQUIRE(ks::parse_client_arguments({"--user", "alice", "--password-file", (dir / "password").string()}, true,
                                       options).empty());
    REQUIRE(ks::load_client_password(options, "ignored: the file comes first").empty());
    CHECK(options.access.password == "secret");
    std::ostringstream table, table_err;
    CHECK(ks::run_lag_command(options, table, table_err) == 0);
    CHECK_THAT(table.str(), Catch::Contains("orders-app  orders          0             100"));
    std::ostringstream status, status_err;
    CHECK(ks::run_status_command(options, status, status_err) == ks::kExitUnhealthy);  // broker 2 down
    CHECK_THAT(status.str(), Catch::StartsWith("cluster abc-cluster: up"));

    options.access.password = "wrong";
    std::ostringstream rejected;
    CHECK(ks::run_lag_command(options, out, rejected) == ks::kExitUnreachable);
    CHECK_THAT(rejected.str(), Catch::Contains("HTTP 401: the agent rejected the credentials of user 'alice'"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("lag and status: access flags, the password never from the command line", "[api][cli]") {
  ks::ClientCommandOptions o;
  CHECK_THAT(ks::parse_client_arguments({"--password", "x"}, true, o),
             Catch::StartsWith("--password is not accepted"));
  CHECK(ks::parse_client_arguments({"--cert", "c.pem"}, false, o) == "--cert and --key go together");
  CHECK(ks::parse_client_arguments({"--cacert"}, false, o) == "--cacert needs a value");
  const ks::CliParse parse = ks::parse_cli({"status", "--user", "u", "--cacert", "ca.pem", "--cert", "c.pem",
                                            "--key", "k.pem", "--url", "https://h:1"});
  REQUIRE(parse.error.empty());
  ks::ClientCommandOptions access;
  REQUIRE(ks::parse_client_arguments(parse.options.rest, false, access).empty());
  CHECK(access.access.ca_file == "ca.pem");
  CHECK(access.access.cert_file == "c.pem");
  CHECK(access.access.key_file == "k.pem");
  CHECK(ks::load_client_password(access, nullptr) ==
        "--user needs a password: --password-file FILE or the KAFKA_SENTINEL_PASSWORD environment variable");
  CHECK(ks::load_client_password(access, "from-env").empty());
  CHECK(access.access.password == "from-env");
  ks::ClientCommandOptions no_user;
  no_user.password_file = "/nonexistent/pw";
  CHECK(ks::load_client_password(no_user, nullptr) == "--password-file /nonexistent/pw: cannot be read");
  no_user.password_file = "/dev/null";
  CHECK(ks::load_client_password(no_user, nullptr) == "--password-file needs --user");
}
