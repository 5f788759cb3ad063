#include "exporters/prometheus/gunzip_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace ks::prom {

struct GunzipStream::Inflater {
  z_stream stream{};
  ~Inflater() { inflateEnd(&stream); }
};

GunzipStream::GunzipStream(std::string_view gzip) : inflater_(std::make_unique<Inflater>()) {
  if (inflateInit2(&inflater_->stream, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  input_.push_back(gzip);
}

GunzipStream::GunzipStream(const GzipBody& gzip) : inflater_(std::make_unique<Inflater>()) {
  if (inflateInit2(&inflater_->stream, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  for (const GzipBody::Part& part : gzip.parts()) input_.emplace_back(*part);
}

GunzipStream::~GunzipStream() = default;

std::string_view GunzipStream::next(std::size_t max) {
  if (ended_ || max == 0) return {};
  z_stream& s = inflater_->stream;
  chunk_.resize(std::min<std::size_t>(max, 256 * 1024));
  s.next_out = reinterpret_cast<Bytef*>(chunk_.data());
  s.avail_out = static_cast<uInt>(chunk_.size());
  while (s.avail_out > 0) {
    if (s.avail_in == 0 && next_input_ < input_.size()) {
      const std::string_view part = input_[next_input_++];
      s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
      s.avail_in = static_cast<uInt>(part.size());
    }
    const int rc = inflate(&s, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      ended_ = true;
      break;
    }
    if (rc != Z_OK) throw std::runtime_error("inflating the cached /metrics body failed");
  }
  const std::size_t n = chunk_.size() - s.avail_out;
  produced_ += n;
  return std::string_view(chunk_).substr(0, n);
}

}  // namespace ks::prom
