#include "agent/http_server.hpp"

#include <httplib.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "agent/accept_encoding.hpp"
#include "agent/status_page.hpp"
#include "agent/web_config.hpp"
#include "agent/web_config_auth.hpp"
#include "agent/web_config_tls.hpp"
#include "exporters/prometheus/gunzip_stream.hpp"

namespace ks {
namespace {

constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Requests one kept-alive connection may make before it is closed. Fairness between
// connections does not rest on it (see WorkerPool), so it is high: a reconnect costs a TLS
// handshake.
constexpr std::size_t kKeepAliveMaxRequests = 1000;

// Hands cpp-httplib's accepted connections to the WorkerPool. httplib makes one per listen
// and deletes it after calling shutdown().
class PoolQueue final : public httplib::TaskQueue {
 public:
  explicit PoolQueue(WorkerPool& pool) : pool_(pool) {}
  void enqueue(std::function<void()> fn) override { pool_.submit(std::move(fn)); }
  void shutdown() override { pool_.shutdown(); }

 private:
  WorkerPool& pool_;
};

// httplib decides "Connection: close" or keep-alive from the request's Connection header
// when it writes the response: setting that header ends the connection after this
// response. (The Request is httplib's own non-const object; handlers see it const.)
void close_after_response(const httplib::Request& req) {
  auto& headers = const_cast<httplib::Request&>(req).headers;
  headers.erase("Connection");
  headers.emplace("Connection", "close");
}

// Connections the kernel holds for accept(): cpp-httplib listens with a backlog of 5, and
// past that Linux drops new connections' SYNs, which clients resend only after 1 s, then 3 s:
// under a burst of (re)connecting scrapers that is a wait of seconds, or a timeout.
constexpr int kListenBacklog = 1024;

// Each response goes out as soon as it is written. Without TCP_NODELAY, httplib's two
// writes (headers, then body) meet Nagle's algorithm: the body waits for the ACK of the
// headers, which the scraper delays by up to 40 ms (delayed ACK) since it is waiting for
// the rest of the response: a 40 ms floor on every keep-alive scrape. Accepted connections
// inherit the option from the listening socket.
void set_listener_options(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  // cpp-httplib's default also sets SO_REUSEPORT, with which a second agent (or anything)
  // started on the same port binds without error and the kernel splits the scrapes between
  // the two. SO_REUSEADDR alone still allows a restart while old connections linger.
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

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

HttpServer::HttpServer(const HttpConfig& config, MetricsEndpoint& metrics, StatusSource statuses,
                       HttpServerTuning tuning)
    : config_(config), metrics_(metrics), statuses_(std::move(statuses)), tuning_(tuning) {}

// The server, plain or TLS as the web config says, with its authentication and workers.
void HttpServer::make_server() {
  std::optional<web::TlsServerConfig> tls;
  if (!config_.web_config_file.empty()) {
    const web::WebConfigLoad web = web::load_web_config_file(config_.web_config_file);
    if (!web.ok()) {
      throw std::runtime_error("http.web_config_file: " + web::describe_problems(web.problems));
    }
    if (!web.config.basic_auth_users.empty()) {
      auth_ = std::make_unique<web::BasicAuth>(web.config.basic_auth_users);
    }
    tls = web.config.tls;
  }
  if (tls) {
    certificates_ = std::make_unique<web::CertificateReloader>(*tls, config_.web_config_file);
    auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      return web::configure_server_context(ctx, *tls, *certificates_);
    });
    if (!server->is_valid()) {
      throw std::runtime_error(config_.web_config_file +
                               ": tls_server_config: OpenSSL refused the settings");
    }
    server_ = std::move(server);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  server_->set_socket_options([this](socket_t sock) {
    set_listener_options(sock);
    listener_ = sock;
  });
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_timeout(tuning_.keep_alive_timeout_seconds);
  server_->set_keep_alive_max_count(kKeepAliveMaxRequests);
  pool_ = std::make_unique<WorkerPool>(tuning_.pool);
  server_->new_task_queue = [pool = pool_.get()] { return new PoolQueue(*pool); };
}

void HttpServer::add_routes() {
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return answered_before_routing(req, res) ? httplib::Server::HandlerResponse::Handled
                                             : httplib::Server::HandlerResponse::Unhandled;
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
    const std::string_view page = status_page_html();
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });
}

bool HttpServer::answered_before_routing(const httplib::Request& req, httplib::Response& res) {
  if (WorkerPool::current_thread_refuses()) {
    close_after_response(req);
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_content("kafka-sentinel: too many connections, retry\n", "text/plain");
    return true;
  }
  // Others wait for a worker: this connection gives its worker up after this response.
  if (pool_->has_waiting()) close_after_response(req);
  if (config_.healthz_without_auth && req.path == "/healthz") return false;
  if (auth_ && !auth_->allows(req.get_header_value("Authorization"))) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"kafka-sentinel\"");
    res.set_content("Unauthorized\n", "text/plain");
    return true;
  }
  for (const auto& [prefix, handler] : prefix_routes_) {
    if (req.path.starts_with(prefix)) {
      handler(req, res);
      return true;
    }
  }
  return false;
}

void HttpServer::add_prefix_route(std::string prefix, PrefixHandler handler) {
  prefix_routes_.emplace_back(std::move(prefix), std::move(handler));
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
          // The body's parts are its deflated pieces, many of them under a kilobyte: one
          // socket write each made a cached scrape at 20,000 groups ~7x slower. Up to 256 KiB
          // of them are gathered into one write (httplib asks again for the rest).
          const std::size_t n = std::min<std::size_t>(length, 256 * 1024);
          std::string chunk;
          chunk.reserve(n);
          body->gzip.write_range(offset, n, [&](std::string_view part) {
            chunk += part;
            return true;
          });
          return !chunk.empty() && sink.write(chunk.data(), chunk.size());
        });
  } else {
    // Inflated from the cached gzip as it is sent (only the gzip is cached).
    auto plain = std::make_shared<prom::GunzipStream>(body->gzip);
    res.set_content_provider(
        body->plain_size, kExpositionContentType,
        [body, plain](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          if (offset != plain->produced()) return false;  // httplib asks in order
          try {
            const std::string_view part = plain->next(length);
            return !part.empty() && sink.write(part.data(), part.size());
          } catch (const std::exception& e) {
            spdlog::error("serving /metrics uncompressed: {}", e.what());
            return false;
          }
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
  make_server();
  add_routes();
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
  // listen() again on the bound socket sets its backlog anew.
  ::listen(listener_, kListenBacklog);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the thread has entered its accept loop: wait for
  // that, so a stop right after start (another part failed to start) is not lost. (Bounded:
  // should the loop end at once on its own, there is nothing to stop.)
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("serving {}://{}:{}/metrics{}", certificates_ ? "https" : "http", host, port_,
               auth_ ? " (basic authentication)" : "");
}

WorkerPool::Stats HttpServer::pool_stats() const {
  return pool_ ? pool_->stats() : WorkerPool::Stats{};
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
