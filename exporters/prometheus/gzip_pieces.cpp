#include "exporters/prometheus/gzip_pieces.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace ks::prom {
namespace {

// Raw deflate (no wrapper: the header and trailer are written here), level 1 as the whole
// body was compressed before: /metrics text compresses ~10x even at the fastest level.
class RawDeflate {
 public:
  RawDeflate() {
    if (deflateInit2(&stream_, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2 failed");
    }
  }
  ~RawDeflate() { deflateEnd(&stream_); }
  RawDeflate(const RawDeflate&) = delete;
  RawDeflate& operator=(const RawDeflate&) = delete;

  // `text` deflated from a fresh state (no reference into another piece), ending on a byte
  // boundary with no final block: such pieces can be concatenated in any order.
  // Deflated into a scratch buffer of the worst-case size, then copied out at its exact
  // size: the kept pieces hold the compressed bytes, not a buffer of the text's size.
  std::string piece(std::string_view text) {
    deflateReset(&stream_);
    scratch_.resize(std::max<std::size_t>(scratch_.size(),
                                          deflateBound(&stream_, static_cast<uLong>(text.size())) + 16));
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream_.avail_in = static_cast<uInt>(text.size());
    stream_.next_out = scratch_.data();
    stream_.avail_out = static_cast<uInt>(scratch_.size());
    if (deflate(&stream_, Z_SYNC_FLUSH) == Z_STREAM_ERROR || stream_.avail_in != 0 ||
        stream_.avail_out == 0) {
      throw std::runtime_error("deflate failed");
    }
    return std::string(reinterpret_cast<const char*>(scratch_.data()),
                       scratch_.size() - stream_.avail_out);
  }

 private:
  z_stream stream_{};
  std::vector<Bytef> scratch_;
};

void append_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string GzipPieces::compress(std::span<const std::string> pieces) {
  // Magic, deflate, no flags, no time, no extra flags, OS unknown (RFC 1952, 2.3).
  static constexpr std::array<unsigned char, 10> kHeader{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
  // A final fixed-Huffman block holding only its end code: closes the deflate stream.
  static constexpr std::array<unsigned char, 2> kFinalBlock{0x03, 0x00};
  RawDeflate deflater;
  std::unordered_map<Key, std::string, KeyHash> now;
  std::string out(kHeader.begin(), kHeader.end());
  uLong crc = crc32_z(0, nullptr, 0);
  std::uint64_t total = 0;
  reused_ = deflated_ = 0;
  for (const std::string& text : pieces) {
    if (text.empty()) continue;
    const auto* bytes = reinterpret_cast<const Bytef*>(text.data());
    const Key key{text.size(), static_cast<std::uint32_t>(crc32_z(0, bytes, text.size())),
                  std::hash<std::string_view>{}(text)};
    auto kept = now.find(key);
    if (kept == now.end()) {
      auto seen = last_.find(key);
      const bool reuse = seen != last_.end();
      kept = now.emplace(key, reuse ? std::move(seen->second) : deflater.piece(text)).first;
      if (reuse) last_.erase(seen);
      ++(reuse ? reused_ : deflated_);
    } else {
      ++reused_;  // the same text twice in one body
    }
    out += kept->second;
    crc = crc32_combine(crc, key.crc, static_cast<z_off_t>(text.size()));
    total += text.size();
  }
  out.append(kFinalBlock.begin(), kFinalBlock.end());
  append_le32(out, static_cast<std::uint32_t>(crc));
  append_le32(out, static_cast<std::uint32_t>(total & 0xffffffffu));  // ISIZE: size mod 2^32
  last_ = std::move(now);
  return out;
}

}  // namespace ks::prom
