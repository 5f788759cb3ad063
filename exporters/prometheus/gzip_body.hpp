// The gzip'd /metrics body as the agent caches it: its parts (the gzip header, each piece's
// deflate bytes, the end of the stream and the trailer) shared with GzipPieces, which keeps
// the same pieces to reuse in the next body, instead of copied into one string.
//
// Why: a joined copy held the compressed body twice, in the cache and in GzipPieces (~5.5 MB
// each at 20,000 groups x 10 partitions: docs/performance.md, "Fourth pass: render"). Shared,
// a piece that did not change between two bodies is even held once for both.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ks::prom {

class GzipBody {
 public:
  using Part = std::shared_ptr<const std::string>;

  GzipBody() = default;
  explicit GzipBody(std::vector<Part> parts);

  std::size_t size() const { return size_; }
  const std::vector<Part>& parts() const { return parts_; }

  // The bytes at [offset, offset + length) (clipped to the body), as views into the parts,
  // in order: `write(std::string_view)` is called once per part touched and returns false
  // to stop. Returns false when it was stopped.
  template <class Write>
  bool write_range(std::size_t offset, std::size_t length, Write&& write) const {
    for (std::size_t i = part_at(offset); i < parts_.size() && length > 0; ++i) {
      const std::size_t skip = offset > starts_[i] ? offset - starts_[i] : 0;
      const std::string_view part = std::string_view(*parts_[i]).substr(skip, length);
      if (!part.empty() && !write(part)) return false;
      length -= part.size();
    }
    return true;
  }

  std::string joined() const;

 private:
  std::size_t part_at(std::size_t offset) const;  // the part holding byte `offset`

  std::vector<Part> parts_;
  std::vector<std::size_t> starts_;  // offset of each part in the body
  std::size_t size_ = 0;
};

}  // namespace ks::prom
