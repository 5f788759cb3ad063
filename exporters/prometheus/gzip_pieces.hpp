// gzip of the /metrics body, compressing only the pieces that changed since the last body.
//
// Why: deflate is about half of what a render costs (profiled at 2,000 groups, stream
// source: docs/performance.md), and between two renders most of the body's pieces (the
// writer's per-family text blocks) are byte for byte the same: committed offsets, lag and
// statuses that did not move, partition counts, broker offsets without traffic. Each piece
// is deflated on its own (raw deflate from a fresh state, ended by a sync flush on a byte
// boundary), so the deflate bytes of a piece that the last body also had can be reused; the
// pieces' CRC-32s are combined for the trailer. The result is one ordinary gzip member (RFC
// 1952) any gzip reader accepts.
//
// A piece is recognised by its length, its CRC-32 and a 64-bit hash of its text (both
// computed over every piece, at a few GB/s, where deflate runs at ~100 MB/s). The cache
// holds the last body's deflated pieces only: about the compressed body's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>

namespace ks::prom {

class GzipPieces {
 public:
  // The gzip of the pieces' concatenation (pieces seen in the last call reused).
  std::string compress(std::span<const std::string> pieces);

  // Of the last call: pieces reused and pieces deflated (tests, self-metrics).
  std::size_t reused() const { return reused_; }
  std::size_t deflated() const { return deflated_; }

 private:
  struct Key {
    std::size_t length = 0;
    std::uint32_t crc = 0;
    std::uint64_t hash = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return k.hash ^ k.crc; }
  };
  std::unordered_map<Key, std::string, KeyHash> last_;  // deflated pieces of the last body
  std::size_t reused_ = 0;
  std::size_t deflated_ = 0;
};

}  // namespace ks::prom
