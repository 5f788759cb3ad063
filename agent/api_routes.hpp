// The JSON API over HTTP: httplib's requests to ApiRouter (agent/api_router.hpp) and its
// answers back, for HttpServer::add_prefix_route("/api/", ...).
#pragma once

#include "agent/api_router.hpp"
#include "agent/http_server.hpp"

namespace ks {

HttpServer::PrefixHandler api_handler(ApiRouter& router);

}  // namespace ks
