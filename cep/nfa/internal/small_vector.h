#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "cep/base/check.h"

namespace cep::internal {

// A vector of trivially copyable T that keeps its first N elements inside the
// object. A matcher of a quiet key holds one or two runs and a few buffer nodes:
// keeping them inline saves a heap block and a cache miss per table on the
// per-event path (tests/bench/nfa_bench.cc). Threading: one owner.
template <typename T, uint32_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>, "SmallVector copies with memcpy");

 public:
  SmallVector() = default;
  SmallVector(const SmallVector& other) { assign(other.begin(), other.end()); }
  SmallVector(SmallVector&& other) noexcept { MoveFrom(other); }
  SmallVector& operator=(const SmallVector& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this != &other) {
      std::free(heap_);
      heap_ = nullptr;
      MoveFrom(other);
    }
    return *this;
  }
  ~SmallVector() { std::free(heap_); }

  T* data() { return heap_ != nullptr ? heap_ : reinterpret_cast<T*>(inline_); }
  const T* data() const { return heap_ != nullptr ? heap_ : reinterpret_cast<const T*>(inline_); }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    CHECK(n <= UINT32_MAX, "SmallVector too large");
    size_t grown = capacity_ * size_t{2};
    if (grown < n) grown = n;
    if (grown > UINT32_MAX) grown = UINT32_MAX;
    T* heap = static_cast<T*>(std::malloc(grown * sizeof(T)));
    CHECK(heap != nullptr, "out of memory");
    if (size_ > 0) std::memcpy(static_cast<void*>(heap), data(), size_ * sizeof(T));
    std::free(heap_);
    heap_ = heap;
    capacity_ = static_cast<uint32_t>(grown);
  }
  void push_back(const T& value) {
    if (size_ == capacity_) {
      const T copy = value;  // `value` may live in this vector
      reserve(size_t{size_} + 1);
      data()[size_++] = copy;
      return;
    }
    data()[size_++] = value;
  }
  T& emplace_back() {
    push_back(T{});
    return back();
  }
  void resize(size_t n) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) new (data() + i) T{};
    size_ = static_cast<uint32_t>(n);
  }
  void clear() { size_ = 0; }
  void assign(const T* first, const T* last) {
    const size_t n = static_cast<size_t>(last - first);
    size_ = 0;
    reserve(n);
    if (n > 0) std::memcpy(static_cast<void*>(data()), first, n * sizeof(T));
    size_ = static_cast<uint32_t>(n);
  }
  T* erase(T* first, T* last) {
    const size_t tail = static_cast<size_t>(end() - last);
    if (tail > 0) std::memmove(static_cast<void*>(first), last, tail * sizeof(T));
    size_ -= static_cast<uint32_t>(last - first);
    return first;
  }

 private:
  void MoveFrom(SmallVector& other) {
    if (other.heap_ != nullptr) {
      heap_ = other.heap_;
      capacity_ = other.capacity_;
    } else {
      std::memcpy(inline_, other.inline_, sizeof(inline_));
      capacity_ = N;
    }
    size_ = other.size_;
    other.heap_ = nullptr;
    other.size_ = 0;
    other.capacity_ = N;
  }

  T* heap_ = nullptr;
  uint32_t size_ = 0;
  uint32_t capacity_ = N;
  alignas(T) unsigned char inline_[N * sizeof(T)];
};

}  // namespace cep::internal
