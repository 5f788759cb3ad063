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
//
// A body can also be given piece by piece (add), in any order, and assembled at the end in
// body order: the exposition writer hands over each text block as soon as it is full, so a
// render never holds the whole body's text (at 20,000 groups x 10 partitions ~100 MB).
//
// A piece can also be named by a fingerprint of what its text is made of (the values and
// labels its writer formats it from): the next body can then take the piece by that
// fingerprint alone (reuse), without its text being written at all. Only the fingerprint and
// the piece's key are kept for it (32 B), never its text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporters/prometheus/gzip_body.hpp"

namespace ks::prom {

class RawDeflate;  // gzip_pieces.cpp

class GzipPieces {
 public:
  using Ticket = std::size_t;

  GzipPieces();
  ~GzipPieces();
  GzipPieces(const GzipPieces&) = delete;
  GzipPieces& operator=(const GzipPieces&) = delete;

  // The gzip of the pieces' concatenation (pieces seen in the last body reused).
  std::string compress(std::span<const std::string> pieces);

  // Starts a body: pieces of one left unfinished (a render that threw) go back to the
  // ones the next body may reuse.
  void begin();
  // One piece of the body being built, deflated now (or reused): the text may be freed.
  Ticket add(std::string_view text);
  // The same, and the piece can be reused by `fingerprint` in the next body: the caller
  // promises that any text with this fingerprint is this text.
  Ticket add(std::string_view text, std::uint64_t fingerprint);
  // The piece added with `fingerprint` to the last body (or to this one), as if added
  // again; nothing when there is none.
  std::optional<Ticket> reuse(std::uint64_t fingerprint);
  // The text of a piece added to the body being built (inflated back: a rare path).
  std::string text_of(Ticket ticket) const;
  // The gzip of the pieces added since the last body, in the order given (each ticket at
  // most once or more: repeats are allowed). Ends the body: its pieces are the next
  // body's to reuse. `plain_size` gets the uncompressed size. The body shares the pieces'
  // bytes with this (kept for the next body): they are held once for both.
  GzipBody assemble_body(std::span<const Ticket> order, std::size_t* plain_size = nullptr);
  // The same, joined into one string (tests, small bodies).
  std::string assemble(std::span<const Ticket> order, std::size_t* plain_size = nullptr) {
    return assemble_body(order, plain_size).joined();
  }

  // Of the last call: pieces reused and pieces deflated (tests, self-metrics).
  std::size_t reused() const { return reused_; }
  std::size_t deflated() const { return deflated_; }
  // Of the reused: taken by fingerprint (their text was not written).
  std::size_t reused_by_fingerprint() const { return by_fingerprint_; }

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
  // Deflated pieces of the last body, and of the body being built.
  std::unordered_map<Key, GzipBody::Part, KeyHash> last_;
  std::unordered_map<Key, GzipBody::Part, KeyHash> now_;
  // The key of the piece added with a fingerprint: of the last body and of this one.
  std::unordered_map<std::uint64_t, Key> fingerprints_last_;
  std::unordered_map<std::uint64_t, Key> fingerprints_now_;
  std::vector<Key> tickets_;                            // a ticket is an index here
  std::unique_ptr<RawDeflate> deflater_;                // while a body is built
  std::size_t reused_ = 0;
  std::size_t deflated_ = 0;
  std::size_t by_fingerprint_ = 0;
};

}  // namespace ks::prom
