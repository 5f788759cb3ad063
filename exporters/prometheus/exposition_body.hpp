// A rendered /metrics body as the agent caches it: the exposition in the pieces the writer
// handed over (ExpositionWriter::finish_pieces), never joined, and served piece by piece.
// Joining would hold the body twice while it is built, and copying it into each response
// once more per scrape in flight; at 1,000 groups the body is ~10 MB, so each copy counts
// against the agent's memory budget.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ks::prom {

class ExpositionBody {
 public:
  ExpositionBody() = default;
  explicit ExpositionBody(std::vector<std::string> pieces);

  std::size_t size() const { return size_; }
  const std::vector<std::string>& pieces() const { return pieces_; }

  // The bytes at [offset, offset + length) (clipped to the body), as views into the pieces,
  // in order: `write(std::string_view)` is called once per piece touched and returns false
  // to stop. Returns false when it was stopped.
  template <class Write>
  bool write_range(std::size_t offset, std::size_t length, Write&& write) const {
    for (std::size_t i = piece_at(offset); i < pieces_.size() && length > 0; ++i) {
      const std::size_t skip = offset > starts_[i] ? offset - starts_[i] : 0;
      const std::string_view part = std::string_view(pieces_[i]).substr(skip, length);
      if (!part.empty() && !write(part)) return false;
      length -= part.size();
    }
    return true;
  }

  std::string joined() const;

 private:
  std::size_t piece_at(std::size_t offset) const;  // the piece holding byte `offset`

  std::vector<std::string> pieces_;
  std::vector<std::size_t> starts_;  // offset of each piece in the body
  std::size_t size_ = 0;
};

}  // namespace ks::prom
