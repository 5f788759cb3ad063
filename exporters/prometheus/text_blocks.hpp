// Append-only text in blocks that never move or grow once allocated. The exposition writer
// keeps each family's sample lines in one: unlike one std::string per family, it never
// copies the text to grow (a doubling string holds old + new buffer while it copies, and up
// to half of its capacity unused afterwards), and its blocks can be handed over as pieces of
// the /metrics body without being joined. A line never straddles two blocks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ks::prom {

class TextBlocks {
 public:
  // Blocks start small (most families have a handful of lines) and grow with the text up to
  // kMaxBlock, so the unused tail is at most one block: about the text's size while it is
  // small, at most kMaxBlock when it is large.
  static constexpr std::size_t kFirstBlock = 512;
  static constexpr std::size_t kMaxBlock = 256 * 1024;

  struct Span {
    std::uint32_t block = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };

  Span append(std::string_view text) {
    if (blocks_.empty() || !open_ || blocks_.back().capacity() - blocks_.back().size() < text.size()) {
      std::string& block = blocks_.emplace_back();
      open_ = true;
      block.reserve(std::max(text.size(), std::clamp(size_, kFirstBlock, kMaxBlock)));
    }
    std::string& block = blocks_.back();
    const Span span{static_cast<std::uint32_t>(blocks_.size() - 1),
                    static_cast<std::uint32_t>(block.size()), static_cast<std::uint32_t>(text.size())};
    block.append(text);  // within the reserved capacity: the block does not move
    size_ += text.size();
    return span;
  }

  std::string_view view(const Span& span) const {
    return std::string_view(blocks_[span.block]).substr(span.offset, span.length);
  }

  std::size_t size() const { return size_; }
  std::size_t block_count() const { return blocks_.size(); }
  std::string_view block(std::size_t i) const { return blocks_[i]; }

  // Frees block i's text (kept elsewhere, e.g. deflated); the block stays in its place,
  // empty. Later text goes into the last block, or a new one when the last was released.
  void release(std::size_t i) {
    std::string().swap(blocks_[i]);
    if (i + 1 == blocks_.size()) open_ = false;  // an empty string still has room (SSO)
  }
  // Puts a released block's text back (the same text).
  void restore(std::size_t i, std::string text) { blocks_[i] = std::move(text); }

  // The blocks, in order, moved out (the last one trimmed to its size); leaves this empty.
  std::vector<std::string> take() {
    if (!blocks_.empty()) {
      std::string& last = blocks_.back();
      if (last.capacity() - last.size() > last.size() / 8) last.shrink_to_fit();
    }
    size_ = 0;
    open_ = true;
    return std::exchange(blocks_, {});
  }

 private:
  std::vector<std::string> blocks_;
  std::size_t size_ = 0;
  bool open_ = true;  // false: the last block was released, the next text starts a new one
};

}  // namespace ks::prom
