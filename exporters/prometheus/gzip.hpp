#pragma once

#include <string>
#include <string_view>

namespace ks::prom {

// gzip (RFC 1952) of `data`, for serving the cached /metrics body compressed.
std::string gzip_compress(std::string_view data);

}  // namespace ks::prom
