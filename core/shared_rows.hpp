// The rows of a snapshot, each held by a shared_ptr so that consecutive snapshots share the
// rows that did not change: a cycle builds its next snapshot while the published one is
// still read, and at 20,000 groups two complete sets of group rows were the peak of the
// agent's memory (docs/performance.md). The groups evaluator hands a new snapshot the
// previous one's row of a group whose evaluation came out equal to it.
//
// Reads like a std::vector<T> of const rows (iterators and operator[] give `const T&`), so
// readers iterate it as before. Rows are built in place (emplace_back, back()) or pushed; a
// row handed on with `share` must not be changed afterwards, which is why only the
// snapshot's builder holds non-const access and rows are const once published.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace ks {

template <typename T>
class SharedRows {
  using Slots = std::vector<std::shared_ptr<T>>;

 public:
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using iterator_concept = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    explicit const_iterator(typename Slots::const_iterator it) : it_(it) {}

    reference operator*() const { return **it_; }
    pointer operator->() const { return it_->get(); }
    reference operator[](difference_type n) const { return *it_[n]; }
    const_iterator& operator++() { ++it_; return *this; }
    const_iterator operator++(int) { auto old = *this; ++it_; return old; }
    const_iterator& operator--() { --it_; return *this; }
    const_iterator operator--(int) { auto old = *this; --it_; return old; }
    const_iterator& operator+=(difference_type n) { it_ += n; return *this; }
    const_iterator& operator-=(difference_type n) { it_ -= n; return *this; }
    friend const_iterator operator+(const_iterator i, difference_type n) { return i += n; }
    friend const_iterator operator+(difference_type n, const_iterator i) { return i += n; }
    friend const_iterator operator-(const_iterator i, difference_type n) { return i -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return a.it_ - b.it_;
    }
    friend bool operator==(const const_iterator&, const const_iterator&) = default;
    friend auto operator<=>(const const_iterator&, const const_iterator&) = default;

   private:
    typename Slots::const_iterator it_{};
  };
  using iterator = const_iterator;
  using value_type = T;
  using size_type = std::size_t;

  SharedRows() = default;
  SharedRows(std::initializer_list<T> rows) {
    for (const T& row : rows) push_back(row);
  }

  const_iterator begin() const { return const_iterator(slots_.begin()); }
  const_iterator end() const { return const_iterator(slots_.end()); }
  std::size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  const T& operator[](std::size_t i) const { return *slots_[i]; }
  const T& at(std::size_t i) const { return *slots_.at(i); }
  const T& front() const { return *slots_.front(); }
  const T& back() const { return *slots_.back(); }

  // Building (before the snapshot is published).
  void reserve(std::size_t n) { slots_.reserve(n); }
  void clear() { slots_.clear(); }
  void push_back(T row) { slots_.push_back(std::make_shared<T>(std::move(row))); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return *slots_.emplace_back(std::make_shared<T>(std::forward<Args>(args)...));
  }
  T& front() { return *slots_.front(); }
  T& back() { return *slots_.back(); }
  T& operator[](std::size_t i) { return *slots_[i]; }
  T& at(std::size_t i) { return *slots_.at(i); }
  SharedRows& operator=(std::initializer_list<T> rows) {
    slots_.clear();
    for (const T& row : rows) push_back(row);
    return *this;
  }
  SharedRows& operator=(std::vector<T> rows) {
    slots_.clear();
    for (T& row : rows) push_back(std::move(row));
    return *this;
  }
  void erase(const_iterator first, const_iterator last) {
    slots_.erase(slots_.begin() + (first - begin()), slots_.begin() + (last - begin()));
  }
  void erase(const_iterator at) { erase(at, at + 1); }
  // Removes the rows `drop` says to; returns how many.
  template <typename Predicate>
  std::size_t erase_if(Predicate drop) {
    return std::erase_if(slots_, [&](const std::shared_ptr<T>& row) { return drop(std::as_const(*row)); });
  }

  // The row at `i` as a handle another snapshot can hold, and a row taken so (shared:
  // never changed by either snapshot again).
  std::shared_ptr<const T> shared(std::size_t i) const { return slots_[i]; }
  void share(std::shared_ptr<const T> row) {
    // (const_pointer_cast: the slots are non-const for building; a shared row is only read)
    slots_.push_back(std::const_pointer_cast<T>(std::move(row)));
  }
  // Whether `i` is the very row `row` (not an equal copy).
  bool same_row(std::size_t i, const std::shared_ptr<const T>& row) const {
    return slots_[i] == row;
  }

 private:
  Slots slots_;
};

}  // namespace ks
