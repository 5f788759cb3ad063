#include "kafka/shared_client.hpp"

#include <utility>

namespace ks::kafka {

const Client& client_or_none(const std::shared_ptr<const Client>& held) {
  static const Client none;
  return held ? *held : none;
}

SharedClient::SharedClient(KafkaConfig kafka, std::string name)
    : kafka_(std::move(kafka)), name_(std::move(name)) {}

std::shared_ptr<const Client> SharedClient::make_locked(const Properties& properties) {
  if (current_) retired_errors_ += current_->context().errors();
  current_.reset();  // a failure to make the new one leaves none, not the old one
  current_ = std::make_shared<const Client>(
      make_client(kafka_, ClientKind::consumer, properties, name_, failure_note_));
  properties_ = properties;
  return current_;
}

std::shared_ptr<const Client> SharedClient::get(const Properties& properties) {
  std::lock_guard lock(mutex_);
  if (current_ && properties_ == properties) return current_;
  return make_locked(properties);
}

std::shared_ptr<const Client> SharedClient::any(const Properties& properties) {
  std::lock_guard lock(mutex_);
  if (current_) return current_;
  return make_locked(properties);
}

void SharedClient::retire(const std::shared_ptr<const Client>& old) {
  std::lock_guard lock(mutex_);
  if (!old || old != current_) return;  // already replaced
  retired_errors_ += current_->context().errors();
  current_.reset();
}

std::uint64_t SharedClient::errors() const {
  std::lock_guard lock(mutex_);
  return retired_errors_ + (current_ ? current_->context().errors() : 0);
}

}  // namespace ks::kafka
