#include "agent/part_list.hpp"

#include <stdexcept>

namespace ks {

void PartList::add(Part& part) { parts_.push_back(&part); }

void PartList::start(std::chrono::milliseconds stop_budget) {
  for (const Part* part : parts_) part->validate();  // throws before anything starts
  for (Part* part : parts_) {
    try {
      part->start();
    } catch (const std::exception& e) {
      stop(stop_budget);
      throw std::runtime_error(std::string(part->name()) + ": " + e.what());
    }
    ++started_;
  }
}

std::vector<std::string> PartList::stop(std::chrono::milliseconds budget) {
  const Deadline deadline = std::chrono::steady_clock::now() + budget;
  for (std::size_t i = started_; i-- > 0;) parts_[i]->request_stop();
  std::vector<std::string> late;
  for (std::size_t i = started_; i-- > 0;) {
    if (!parts_[i]->stop(deadline)) late.emplace_back(parts_[i]->name());
  }
  started_ = 0;
  return late;
}

}  // namespace ks
