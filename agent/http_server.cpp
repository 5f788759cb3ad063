#include "agent/http_server.hpp"

#include <httplib.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "agent/accept_encoding.hpp"

namespace ks {
namespace {

constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

constexpr const char* kIndex =
    "kafka-sentinel: Kafka monitoring agent\n"
    "\n"
    "/metrics  Prometheus metrics (text format 0.0.4; gzip on Accept-Encoding: gzip)\n"
    "/healthz  200 while the process is alive\n"
    "/readyz   200 once every enabled collector has succeeded once; 503 with a JSON\n"
    "          body naming what is not ready and its last error\n";

}  // namespace

std::string readiness_json(const std::vector<CollectorStatus>& statuses, bool& ready) {
  nlohmann::json body;
  nlohmann::json not_ready = nlohmann::json::array();
  nlohmann::json collectors = nlohmann::json::object();
  for (const CollectorStatus& st : statuses) {
    nlohmann::json entry{{"ready", st.ever_succeeded}, {"last_ok", st.last_ok},
                         {"runs", st.runs}, {"errors", st.errors}};
    if (!st.last_error.empty()) entry["last_error"] = st.last_error;
    if (!st.note.empty()) entry["note"] = st.note;
    if (st.loading) {
      // Loading is not failing: the first cycle reads a backlog, and says how far it is.
      entry["loading"] = {{"what", st.loading->what},
                          {"records", st.loading->records},
                          {"percent", std::round(st.loading->percent * 10) / 10}};
    }
    collectors[st.name] = entry;
    if (!st.ever_succeeded) {
      nlohmann::json missing{{"collector", st.name}};
      if (st.loading) {
        missing["loading"] = entry["loading"];
        missing["last_error"] = fmt::format("loading: {} ({} records, {:.1f}%)", st.loading->what,
                                            st.loading->records, st.loading->percent);
      } else if (st.runs > 0) {
        missing["last_error"] = st.last_error;
      } else if (st.cycle_problem.empty()) {
        missing["last_error"] = "no cycle finished yet";
      } else {
        // The first cycle can wait up to kafka.request_timeout: say what it waits on.
        missing["last_error"] = "no cycle finished yet; last failure: " + st.cycle_problem;
      }
      not_ready.push_back(missing);
    }
  }
  ready = not_ready.empty();
  body["ready"] = ready;
  body["not_ready"] = not_ready;
  body["collectors"] = collectors;
  return body.dump() + "\n";
}

HttpServer::HttpServer(const HttpConfig& config, MetricsEndpoint& metrics, StatusSource statuses)
    : config_(config),
      metrics_(metrics),
      statuses_(std::move(statuses)),
      server_(std::make_unique<httplib::Server>()) {
  // cpp-httplib's default also sets SO_REUSEPORT, with which a second agent (or anything)
  // started on the same port binds without error and the kernel splits the scrapes between
  // the two. SO_REUSEADDR alone still allows a restart while old connections linger.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    serve_metrics(req, res);
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool ready = false;
    const std::string body = readiness_json(statuses_(), ready);
    res.status = ready ? 200 : 503;
    res.set_content(body, "application/json");
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kIndex, "text/plain");
  });
}

// The cached body of the latest render, gzip'd or plain as the scraper asks.
void HttpServer::serve_metrics(const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<const RenderedMetrics> body;
  try {
    body = metrics_.current();
  } catch (const std::exception& e) {
    spdlog::error("rendering /metrics failed: {}", e.what());
    res.status = 500;
    res.set_content(std::string("rendering failed: ") + e.what() + "\n", "text/plain");
    return;
  }
  const bool gzip = accepts_gzip(req.get_header_value("Accept-Encoding"));
  // httplib compresses every text/* response itself, per request, after this handler,
  // deciding from the request's Accept-Encoding. The body is compressed once per render
  // already, so hide that header from it. (The Request object is httplib's own non-const
  // per-connection object; the handler only sees it through a const reference.)
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
  // Sent straight from the cached body (the provider holds a reference to it): no copy of
  // a body of megabytes per scrape in flight.
  res.set_header("Vary", "Accept-Encoding");  // caches must not mix the two bodies
  if (gzip) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content_provider(
        body->gzip.size(), kExpositionContentType,
        [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          return sink.write(body->gzip.data() + offset, std::min(length, body->gzip.size() - offset));
        });
  } else {
    res.set_content_provider(
        body->plain.size(), kExpositionContentType,
        [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          return body->plain.write_range(offset, length, [&sink](std::string_view part) {
            return sink.write(part.data(), part.size());
          });
        });
  }
}

HttpServer::~HttpServer() { stop(Deadline::max()); }

void HttpServer::validate() const {
  if (config_.listen_host.empty()) throw PartConfigError("http.listen", "the host must not be empty");
  if (config_.listen_port < 0 || config_.listen_port > 65535) {
    throw PartConfigError("http.listen", "the port must be between 0 and 65535, got " +
                                             std::to_string(config_.listen_port));
  }
}

void HttpServer::start() {
  const std::string& host = config_.listen_host;
  const int port = config_.listen_port;
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (address in use, or not an address of this host)");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the thread has entered its accept loop: wait for
  // that, so a stop right after start (another part failed to start) is not lost. (Bounded:
  // should the loop end at once on its own, there is nothing to stop.)
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("serving http://{}:{}/metrics", host, port_);
}

void HttpServer::request_stop() {
  // Once: httplib asserts that its socket is still open when stop() finds it running.
  if (thread_.joinable() && !stop_requested_) {
    stop_requested_ = true;
    server_->stop();
  }
}

bool HttpServer::stop(Deadline deadline) {
  request_stop();
  if (thread_.joinable()) thread_.join();
  return std::chrono::steady_clock::now() <= deadline;
}

}  // namespace ks
