#include "exporters/prometheus/exposition_body.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace ks::prom {

ExpositionBody::ExpositionBody(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
  std::erase_if(pieces_, [](const std::string& p) { return p.empty(); });
  starts_.reserve(pieces_.size());
  for (const std::string& piece : pieces_) {
    starts_.push_back(size_);
    size_ += piece.size();
  }
}

std::size_t ExpositionBody::piece_at(std::size_t offset) const {
  // The last piece starting at or before `offset`.
  const auto after = std::upper_bound(starts_.begin(), starts_.end(), offset);
  return after == starts_.begin() ? 0 : static_cast<std::size_t>(std::distance(starts_.begin(), after)) - 1;
}

std::string ExpositionBody::joined() const {
  std::string out;
  out.reserve(size_);
  for (const std::string& piece : pieces_) out += piece;
  return out;
}

}  // namespace ks::prom
