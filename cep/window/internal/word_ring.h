#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "cep/base/check.h"

namespace cep::internal {

// A FIFO of fixed-width rows of 64-bit words in one power-of-two ring: the entries of
// a `last D` window (ts, mask, payloads) and its min/max deques (index, payload).
// The row width is not stored (every row of one ring has the same width, known to the
// owner), which keeps the ring at 24 bytes. Grows by doubling and shrinks by halving
// when an eighth full, so a key that saw a burst gives the memory back; the wide gap
// keeps a window hovering around a power of two from reallocating every few events
// (a quarter-full rule cost 2x in window_bench).
// Threading: one owner.
class WordRing {
 public:
  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint32_t capacity() const { return capacity_; }

  uint64_t* Row(uint32_t index, uint32_t width) {
    DCHECK(index < size_, "ring index out of range");
    return &words_[static_cast<size_t>((head_ + index) & (capacity_ - 1)) * width];
  }
  const uint64_t* Row(uint32_t index, uint32_t width) const {
    DCHECK(index < size_, "ring index out of range");
    return &words_[static_cast<size_t>((head_ + index) & (capacity_ - 1)) * width];
  }
  uint64_t* Front(uint32_t width) { return Row(0, width); }
  uint64_t* Back(uint32_t width) { return Row(size_ - 1, width); }
  const uint64_t* Back(uint32_t width) const { return Row(size_ - 1, width); }

  // Appends a row (uninitialised) and returns it.
  uint64_t* PushBack(uint32_t width) {
    if (size_ == capacity_) Resize(capacity_ == 0 ? kMinCapacity : capacity_ * 2, width);
    ++size_;
    return Back(width);
  }
  void PopFront(uint32_t width) {
    DCHECK(size_ > 0, "pop of an empty ring");
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    MaybeShrink(width);
  }
  void PopBack(uint32_t width) {
    DCHECK(size_ > 0, "pop of an empty ring");
    --size_;
    MaybeShrink(width);
  }

  size_t HeapBytes(uint32_t width) const {
    return static_cast<size_t>(capacity_) * width * sizeof(uint64_t);
  }

 private:
  static constexpr uint32_t kMinCapacity = 4;

  void MaybeShrink(uint32_t width) {
    if (size_ == 0) {
      words_.reset();
      capacity_ = 0;
      head_ = 0;
    } else if (capacity_ > kMinCapacity && size_ <= capacity_ / 8) {
      Resize(capacity_ / 2, width);
    }
  }

  void Resize(uint32_t capacity, uint32_t width) {
    CHECK(capacity > 0 && capacity <= (1u << 31), "window ring too large");
    auto words = std::make_unique_for_overwrite<uint64_t[]>(static_cast<size_t>(capacity) * width);
    for (uint32_t i = 0; i < size_; ++i) {
      std::memcpy(&words[static_cast<size_t>(i) * width], Row(i, width), width * sizeof(uint64_t));
    }
    words_ = std::move(words);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<uint64_t[]> words_;
  uint32_t capacity_ = 0;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

}  // namespace cep::internal
