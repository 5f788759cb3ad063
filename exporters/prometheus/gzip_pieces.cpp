#include "exporters/prometheus/gzip_pieces.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace ks::prom {

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

namespace {

// A piece's text back from its raw deflate bytes (`length`: the text's size).
std::string raw_inflate(const std::string& deflated, std::size_t length) {
  z_stream stream{};
  if (inflateInit2(&stream, -15) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  std::string text(length, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(deflated.data()));
  stream.avail_in = static_cast<uInt>(deflated.size());
  stream.next_out = reinterpret_cast<Bytef*>(text.data());
  stream.avail_out = static_cast<uInt>(text.size());
  const int rc = inflate(&stream, Z_SYNC_FLUSH);
  const bool whole = (rc == Z_OK || rc == Z_BUF_ERROR) && stream.avail_out == 0;
  inflateEnd(&stream);
  if (!whole) throw std::runtime_error("inflating a deflated piece failed");
  return text;
}

void append_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

GzipPieces::GzipPieces() = default;
GzipPieces::~GzipPieces() = default;

std::string GzipPieces::compress(std::span<const std::string> pieces) {
  std::vector<Ticket> order;
  order.reserve(pieces.size());
  for (const std::string& text : pieces) order.push_back(add(text));
  return assemble(order);
}

void GzipPieces::begin() {
  last_.merge(now_);
  now_.clear();  // what merge left: keys last_ had already
  fingerprints_last_.merge(fingerprints_now_);
  fingerprints_now_.clear();
  tickets_.clear();
  reused_ = deflated_ = by_fingerprint_ = 0;
}

GzipPieces::Ticket GzipPieces::add(std::string_view text) {
  if (tickets_.empty()) reused_ = deflated_ = by_fingerprint_ = 0;  // the first piece of a new body
  const auto* bytes = reinterpret_cast<const Bytef*>(text.data());
  const Key key{text.size(), static_cast<std::uint32_t>(crc32_z(0, bytes, text.size())),
                std::hash<std::string_view>{}(text)};
  tickets_.push_back(key);
  if (text.empty()) return tickets_.size() - 1;
  if (now_.contains(key)) {
    ++reused_;  // the same text twice in one body
  } else if (auto seen = last_.find(key); seen != last_.end()) {
    now_.emplace(key, std::move(seen->second));
    last_.erase(seen);
    ++reused_;
  } else {
    if (!deflater_) deflater_ = std::make_unique<RawDeflate>();
    now_.emplace(key, std::make_shared<const std::string>(deflater_->piece(text)));
    ++deflated_;
  }
  return tickets_.size() - 1;
}

GzipPieces::Ticket GzipPieces::add(std::string_view text, std::uint64_t fingerprint) {
  const Ticket ticket = add(text);
  fingerprints_now_.insert_or_assign(fingerprint, tickets_[ticket]);
  return ticket;
}

std::optional<GzipPieces::Ticket> GzipPieces::reuse(std::uint64_t fingerprint) {
  if (tickets_.empty()) reused_ = deflated_ = by_fingerprint_ = 0;  // the first piece of a new body
  Key key;
  if (auto now = fingerprints_now_.find(fingerprint); now != fingerprints_now_.end()) {
    key = now->second;
  } else if (auto last = fingerprints_last_.find(fingerprint); last != fingerprints_last_.end()) {
    key = last->second;
  } else {
    return std::nullopt;
  }
  if (!now_.contains(key)) {
    auto seen = last_.find(key);
    if (seen == last_.end()) return std::nullopt;  // its bytes are gone: write it anew
    now_.emplace(key, std::move(seen->second));
    last_.erase(seen);
  }
  fingerprints_now_.insert_or_assign(fingerprint, key);
  ++reused_;
  ++by_fingerprint_;
  tickets_.push_back(key);
  return tickets_.size() - 1;
}

std::string GzipPieces::text_of(Ticket ticket) const {
  const Key& key = tickets_.at(ticket);
  if (key.length == 0) return {};
  return raw_inflate(*now_.at(key), key.length);
}

GzipBody GzipPieces::assemble_body(std::span<const Ticket> order, std::size_t* plain_size) {
  // Magic, deflate, no flags, no time, no extra flags, OS unknown (RFC 1952, 2.3).
  static const GzipBody::Part kHeader =
      std::make_shared<const std::string>("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  // A final fixed-Huffman block holding only its end code: closes the deflate stream.
  static constexpr std::array<unsigned char, 2> kFinalBlock{0x03, 0x00};
  std::vector<GzipBody::Part> parts;
  parts.reserve(order.size() + 2);
  parts.push_back(kHeader);
  uLong crc = crc32_z(0, nullptr, 0);
  std::uint64_t total = 0;
  for (const Ticket t : order) {
    const Key& key = tickets_.at(t);
    if (key.length == 0) continue;
    parts.push_back(now_.at(key));  // shared, not copied
    crc = crc32_combine(crc, key.crc, static_cast<z_off_t>(key.length));
    total += key.length;
  }
  std::string tail(kFinalBlock.begin(), kFinalBlock.end());
  append_le32(tail, static_cast<std::uint32_t>(crc));
  append_le32(tail, static_cast<std::uint32_t>(total & 0xffffffffu));  // ISIZE: size mod 2^32
  parts.push_back(std::make_shared<const std::string>(std::move(tail)));
  if (plain_size) *plain_size = static_cast<std::size_t>(total);
  last_ = std::exchange(now_, {});
  fingerprints_last_ = std::exchange(fingerprints_now_, {});
  tickets_.clear();
  deflater_.reset();
  return GzipBody(std::move(parts));
}

}  // namespace ks::prom
