#include "exporters/prometheus/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

namespace ks::prom {
namespace {

// deflate in a loop over the input, appending each filled output block to `out`.
class GzipStream {
 public:
  GzipStream() {
    // windowBits 15 + 16 selects the gzip wrapper; level 1: /metrics text compresses ~10x
    // even at the fastest level, and render time matters more than the last few percent.
    if (deflateInit2(&stream_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2 failed");
    }
  }
  ~GzipStream() { deflateEnd(&stream_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  void write(std::string_view data) {
    while (!data.empty()) {
      const std::size_t n = std::min<std::size_t>(data.size(), std::numeric_limits<uInt>::max());
      run(data.substr(0, n), Z_NO_FLUSH);
      data.remove_prefix(n);
    }
  }

  std::string finish() {
    run({}, Z_FINISH);
    out_.shrink_to_fit();
    return std::move(out_);
  }

 private:
  void run(std::string_view data, int flush) {
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    for (;;) {
      stream_.next_out = block_.data();
      stream_.avail_out = static_cast<uInt>(block_.size());
      const int rc = deflate(&stream_, flush);
      if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
      out_.append(reinterpret_cast<const char*>(block_.data()), block_.size() - stream_.avail_out);
      if (flush == Z_FINISH ? rc == Z_STREAM_END : stream_.avail_out != 0) break;
    }
  }

  z_stream stream_{};
  std::vector<Bytef> block_ = std::vector<Bytef>(64 * 1024);  // not on the stack
  std::string out_;
};

}  // namespace

std::string gzip_compress(std::string_view data) {
  GzipStream gzip;
  gzip.write(data);
  return gzip.finish();
}

std::string gzip_compress(std::span<const std::string> pieces) {
  GzipStream gzip;
  for (const std::string& piece : pieces) gzip.write(piece);
  return gzip.finish();
}

}  // namespace ks::prom
