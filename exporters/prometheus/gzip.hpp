#pragma once

#include <span>
#include <string>
#include <string_view>

namespace ks::prom {

// gzip (RFC 1952) of `data`, for serving the cached /metrics body compressed.
std::string gzip_compress(std::string_view data);
// The same of the pieces' concatenation, compressed as a stream: no joined copy of the input,
// and the output grows with what deflate produces (not deflateBound(input) up front, which is
// larger than the input and would stay allocated as unused capacity).
std::string gzip_compress(std::span<const std::string> pieces);

}  // namespace ks::prom
