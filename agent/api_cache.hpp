// A serialized JSON body kept for one version of the snapshot it was rendered from: the
// first request after a new snapshot renders, every later one copies a pointer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace ks {

class SerializedCache {
 public:
  // The body for `version`, rendered by `render` unless the cached one is for it. One
  // render at a time: concurrent readers of a new version wait for it, not render it too.
  std::shared_ptr<const std::string> get(std::uint64_t version,
                                         const std::function<std::string()>& render) {
    std::lock_guard lock(mutex_);
    if (!body_ || version_ != version) {
      body_ = std::make_shared<const std::string>(render());
      version_ = version;
    }
    return body_;
  }

 private:
  std::mutex mutex_;
  std::uint64_t version_ = 0;
  std::shared_ptr<const std::string> body_;
};

}  // namespace ks
