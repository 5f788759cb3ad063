#include "agent/api_routes.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "agent/api_response.hpp"

namespace ks {
namespace {

constexpr const char* kJson = "application/json";

ApiResponse answer(ApiRouter& router, const httplib::Request& req) {
  if (req.method != "GET" && req.method != "HEAD") {
    return api_response::error(405, "method " + api_response::quote_input(req.method) +
                                        " not allowed: the API is read-only (GET)");
  }
  ApiRequest request{req.path, {}};
  request.params.assign(req.params.begin(), req.params.end());
  try {
    return router.handle(request);
  } catch (const std::exception& e) {
    // A bug, not a bad request: logged, answered, survived.
    spdlog::error("/api request {} failed: {}", api_response::quote_input(req.path), e.what());
    return api_response::error(500, std::string("internal error: ") + e.what());
  }
}

}  // namespace

HttpServer::PrefixHandler api_handler(ApiRouter& router) {
  return [&router](const httplib::Request& req, httplib::Response& res) {
    ApiResponse out = answer(router, req);
    res.status = out.status;
    if (out.status == 405) res.set_header("Allow", "GET, HEAD");
    res.set_header("Cache-Control", "no-store");
    if (!out.tail) {
      res.set_content(std::move(out.head), kJson);
      return;
    }
    // The cached part is sent from the shared body itself: no copy per request.
    const std::size_t size = out.size();
    res.set_content_provider(
        size, kJson,
        [head = std::move(out.head), tail = std::move(out.tail)](std::size_t offset, std::size_t length,
                                                                httplib::DataSink& sink) {
          if (offset < head.size()) {
            const std::size_t n = std::min(length, head.size() - offset);
            return sink.write(head.data() + offset, n);
          }
          const std::size_t at = offset - head.size();
          return sink.write(tail->data() + at, std::min(length, tail->size() - at));
        });
  };
}

}  // namespace ks
