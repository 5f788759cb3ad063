// libFuzzer target: the agent's HTTP handling (agent/http_server.hpp) end to end, over
// loopback. The agent routes four paths through cpp-httplib and parses one header itself
// (Accept-Encoding, agent/accept_encoding.hpp), so each input is a request sent to a real
// HttpServer on 127.0.0.1 (port picked by the kernel, started once per process):
//   - structured (first byte even): a method, one of the agent's paths or a near miss plus
//     fuzzed bytes, a fuzzed query string, an optional fuzzed Accept-Encoding and one more
//     header. Properties: GET and HEAD of /metrics, /healthz, /readyz and / answer 200 with
//     or without a query string, every other path 404; /metrics is gzip exactly when
//     accepts_gzip() says the header allows it, says Vary: Accept-Encoding, and its body
//     (inflated when gzip) is the rendered exposition;
//   - raw (first byte odd): the bytes as they are, then the end of the stream. Properties:
//     the answer is nothing or an HTTP/1.1 status line, within 10 s, and the server still
//     answers /healthz afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <memory>
#include <string>

#include "agent/accept_encoding.hpp"
#include "agent/http_server.hpp"
#include "agent/metrics_endpoint.hpp"
#include "agent/self_metrics.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

struct Agent {
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics{self};
  std::unique_ptr<ks::HttpServer> server;
  Agent() {
    metrics.add_renderer([](ks::prom::ExpositionWriter& w) {
      w.family("fuzz_up", "Whether the fuzzed agent is up.", ks::prom::MetricType::gauge);
      w.sample({}, 1);
    });
    ks::HttpConfig http;
    http.listen_host = "127.0.0.1";
    http.listen_port = 0;
    server = std::make_unique<ks::HttpServer>(http, metrics,
                                              [] { return std::vector<ks::CollectorStatus>{}; });
    server->start();
  }
};

Agent& agent() {
  static Agent instance;
  return instance;
}

// Sends `request` and returns every byte of the answer, until the server closes. With
// `half_close`, the sending side is shut down after the request (for raw bytes that may not
// make a whole request: the server sees the end at once instead of waiting for more).
// cpp-httplib answers nothing to a request whose client has half-closed (it checks that the
// peer is still there before it writes), so a request that asks for an answer says
// "Connection: close" instead.
std::string round_trip(const std::string& request, bool half_close) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  KS_FUZZ_CHECK(fd >= 0);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(agent().server->bound_port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  KS_FUZZ_CHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on garbage: what it said is still read
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[65536];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    KS_FUZZ_CHECK(n >= 0 || errno == ECONNRESET);  // EAGAIN: no answer within 10 s
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return answer;
}

struct Answer {
  int status = 0;
  std::string head;  // status line and headers, lower-cased
  std::string body;
};

Answer parse_answer(const std::string& raw) {
  Answer a;
  if (!raw.starts_with("HTTP/1.1 ")) {
    std::fprintf(stderr, "answer (%zu bytes): %.200s\n", raw.size(), raw.c_str());
  }
  KS_FUZZ_CHECK(raw.starts_with("HTTP/1.1 ") && raw.size() >= 12);
  KS_FUZZ_CHECK(std::isdigit(static_cast<unsigned char>(raw[9])) &&
                std::isdigit(static_cast<unsigned char>(raw[10])) &&
                std::isdigit(static_cast<unsigned char>(raw[11])));
  a.status = std::stoi(raw.substr(9, 3));
  const std::size_t end = raw.find("\r\n\r\n");
  KS_FUZZ_CHECK(end != std::string::npos);
  a.head = raw.substr(0, end + 2);
  for (char& c : a.head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  a.body = raw.substr(end + 4);
  return a;
}

std::string inflate_gzip(const std::string& in) {
  z_stream z{};
  KS_FUZZ_CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  KS_FUZZ_CHECK(rc == Z_STREAM_END);
  return out;
}

// Bytes a request target may carry as they are; every other byte is percent-encoded, so the
// path the server decodes is exactly the bytes given.
std::string encoded(std::string_view raw, std::string_view also_allowed) {
  std::string out;
  for (const char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || std::string_view("-._~").find(c) != std::string_view::npos ||
        also_allowed.find(c) != std::string_view::npos) {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// A header value as a client may send it: visible ASCII, spaces and tabs, but no '%':
// cpp-httplib percent-decodes header values before the handler sees them (a "%00" cuts the
// value short), so the agent would not judge the bytes that were sent.
std::string header_value(std::string_view raw) {
  std::string out;
  for (const char c : raw) {
    if (((c >= 0x20 && c < 0x7f) || c == '\t') && c != '%') out += c;
  }
  return out;
}

constexpr const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "GET", "GET"};
constexpr const char* kPaths[] = {"/metrics", "/healthz", "/readyz", "/", "/metrics/", "/Metrics",
                                  "/metric", "//metrics"};
constexpr const char* kHeaders[] = {"X-Fuzz", "User-Agent", "Host", "Accept", "Connection",
                                    "Accept-Encoding", "X-Forwarded-For", "Cookie"};

void structured(ks::fuzz::ByteReader& in) {
  const std::string method = kMethods[in.byte() % 8];
  const std::uint8_t choice = in.byte();
  std::string path = kPaths[choice % 8];
  if (choice & 0x80) path += in.field(64);
  const std::string query(in.field(128));
  const std::uint8_t flags = in.byte();
  const std::string accept_encoding = header_value(in.field(96));
  const std::string extra_name = kHeaders[in.byte() % 8];
  const std::string extra_value = header_value(in.field(64));

  std::string request = method + " " + encoded(path, "/");
  if (!query.empty()) request += "?" + encoded(query, "=&/");
  request += " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  // cpp-httplib reads the body of a POST, PUT or DELETE without Content-Length until the
  // client closes (5 s read timeout here): say there is none.
  if (method != "GET" && method != "HEAD") request += "Content-Length: 0\r\n";
  if (flags & 1) request += "Accept-Encoding: " + accept_encoding + "\r\n";
  if (flags & 2) request += extra_name + ": " + extra_value + "\r\n";
  request += "\r\n";
  const Answer a = parse_answer(round_trip(request, false));

  if (method != "GET" && method != "HEAD") return;  // not the agent's: httplib's answer
  const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/";
  KS_FUZZ_CHECK(a.status == (known ? 200 : 404));
  if (path != "/metrics") {
    // cpp-httplib compresses these small text answers itself when the client asks for gzip
    // or brotli: the body is checked when it came as it is.
    const bool encoded = a.head.find("\r\ncontent-encoding:") != std::string::npos;
    if (path == "/healthz" && method == "GET" && !encoded) KS_FUZZ_CHECK(a.body == "ok\n");
    return;
  }
  // Which Accept-Encoding the server saw: the last one sent (the extra header may be one).
  std::string seen;
  bool sent = false;
  if (flags & 1) seen = accept_encoding, sent = true;
  if ((flags & 2) && extra_name == "Accept-Encoding") seen = extra_value, sent = true;
  if (sent && (flags & 3) == 3 && extra_name == "Accept-Encoding") return;  // two: ambiguous
  const bool gzip = sent && ks::accepts_gzip(seen);
  KS_FUZZ_CHECK(a.head.find("\r\nvary: accept-encoding\r\n") != std::string::npos);
  if ((a.head.find("\r\ncontent-encoding: gzip\r\n") != std::string::npos) != gzip) {
    std::fprintf(stderr, "request:\n%s\nanswer:\n%s\n", request.c_str(), a.head.c_str());
  }
  KS_FUZZ_CHECK((a.head.find("\r\ncontent-encoding: gzip\r\n") != std::string::npos) == gzip);
  if (method == "HEAD") return;
  const std::string body = gzip ? inflate_gzip(a.body) : a.body;
  KS_FUZZ_CHECK(body.find("\nfuzz_up 1\n") != std::string::npos);
}

void raw(ks::fuzz::ByteReader& in) {
  const std::string answer = round_trip(std::string(in.rest()), true);
  if (!answer.empty()) {
    KS_FUZZ_CHECK(answer.starts_with("HTTP/1.1 ") && answer.size() >= 12);
  }
  const Answer health = parse_answer(round_trip("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false));
  KS_FUZZ_CHECK(health.status == 200 && health.body == "ok\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ks::fuzz::ByteReader in(data, size);
  if (in.byte() & 1) {
    raw(in);
  } else {
    structured(in);
  }
  return 0;
}
