#include "exporters/prometheus/gzip_body.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace ks::prom {

GzipBody::GzipBody(std::vector<Part> parts) : parts_(std::move(parts)) {
  std::erase_if(parts_, [](const Part& p) { return !p || p->empty(); });
  starts_.reserve(parts_.size());
  for (const Part& part : parts_) {
    starts_.push_back(size_);
    size_ += part->size();
  }
}

std::size_t GzipBody::part_at(std::size_t offset) const {
  // The last part starting at or before `offset`.
  const auto after = std::upper_bound(starts_.begin(), starts_.end(), offset);
  return after == starts_.begin() ? 0 : static_cast<std::size_t>(std::distance(starts_.begin(), after)) - 1;
}

std::string GzipBody::joined() const {
  std::string out;
  out.reserve(size_);
  for (const Part& part : parts_) out += *part;
  return out;
}

}  // namespace ks::prom
