// The plain /metrics body, inflated piece by piece from the cached gzip while it is sent.
//
// Why: the agent caches the body gzip'd only (Prometheus asks for gzip); keeping the plain
// text too would hold ~100 MB at 20,000 groups x 10 partitions. A scraper that does not
// accept gzip costs an inflate of the body (zlib inflates at several hundred MB/s), in
// chunks, so it never holds more than one chunk of the plain text.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/prometheus/gzip_body.hpp"

namespace ks::prom {

class GunzipStream {
 public:
  // `gzip` must outlive the stream (the cached body it is made from).
  explicit GunzipStream(std::string_view gzip);
  // `gzip` (its parts, read one after the other) must outlive the stream.
  explicit GunzipStream(const GzipBody& gzip);
  ~GunzipStream();
  GunzipStream(const GunzipStream&) = delete;
  GunzipStream& operator=(const GunzipStream&) = delete;

  // The next up to `max` bytes of the plain text (valid until the next call); empty at the
  // end. Throws std::runtime_error on a corrupt stream.
  std::string_view next(std::size_t max);
  // Plain bytes returned so far.
  std::size_t produced() const { return produced_; }

 private:
  struct Inflater;
  std::unique_ptr<Inflater> inflater_;
  std::vector<std::string_view> input_;  // the gzip's parts
  std::size_t next_input_ = 0;           // the next part to feed to inflate
  std::string chunk_;
  std::size_t produced_ = 0;
  bool ended_ = false;
};

}  // namespace ks::prom
