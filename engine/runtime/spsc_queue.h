#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "cep/base/check.h"

namespace engine {

// A bounded single-producer, single-consumer ring: how events reach a slot.
// Push blocks while the ring is full, which is the backpressure that reaches
// the source; Pop blocks while it is empty. Blocking uses C++20 atomic
// wait/notify (a futex on Linux), so an idle side costs no CPU and a busy pair
// never takes a lock. A side spins briefly before it sleeps, and announces
// that it sleeps, so the other side makes the wake-up system call only then
// (a notify per item cost ~10% of the engine's time). The indices count pushes and pops modulo 2^32 (32 bits
// so that the wait is a plain futex); with a power-of-two capacity below 2^31,
// tail - head is the fill level even across the wrap.
//
// Threading: exactly one producer thread and one consumer thread.
template <typename T>
class SpscQueue {
 public:
  explicit SpscQueue(size_t capacity)
      : capacity_(std::bit_ceil(std::clamp<size_t>(capacity, 2, size_t{1} << 30))),
        mask_(static_cast<uint32_t>(capacity_ - 1)),
        cells_(std::make_unique<T[]>(capacity_)) {}
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  size_t capacity() const { return capacity_; }
  // Approximate when read by a third thread (metrics).
  size_t size() const {
    return static_cast<uint32_t>(tail_.load(std::memory_order_acquire) -
                                 head_.load(std::memory_order_acquire));
  }

  bool TryPush(T&& value) {
    const uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (static_cast<uint32_t>(tail - cached_head_) >= capacity_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (static_cast<uint32_t>(tail - cached_head_) >= capacity_) return false;
    }
    cells_[tail & mask_] = std::move(value);
    tail_.store(tail + 1, std::memory_order_release);
    // Pairs with the fence in Pop: either the consumer sees the new tail
    // before it sleeps, or we see that it sleeps and wake it.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (consumer_sleeping_.load(std::memory_order_relaxed)) tail_.notify_one();
    return true;
  }

  // Blocks while full. Returns how often it had to wait (backpressure figure).
  uint64_t Push(T&& value) {
    uint64_t waits = 0;
    for (int spin = 0; !TryPush(std::move(value)); ++spin) {
      if (spin < kSpins) {
        Relax();
        continue;
      }
      ++waits;
      producer_sleeping_.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (TryPush(std::move(value))) {
        producer_sleeping_.store(false, std::memory_order_relaxed);
        break;
      }
      // Wait for the consumer to move head past the value we saw.
      head_.wait(cached_head_, std::memory_order_acquire);
      producer_sleeping_.store(false, std::memory_order_relaxed);
    }
    return waits;
  }

  bool TryPop(T& out) {
    const uint32_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) return false;
    }
    out = std::move(cells_[head & mask_]);
    cells_[head & mask_] = T{};  // release what the cell held (events) now, not on reuse
    head_.store(head + 1, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // see TryPush
    // A producer sleeps on a full ring: wake it once half is free, not per
    // item, or a slower consumer would pay two wake-ups for every item.
    if (producer_sleeping_.load(std::memory_order_relaxed) &&
        static_cast<uint32_t>(cached_tail_ - (head + 1)) <= capacity_ / 2) {
      head_.notify_one();
    }
    return true;
  }

  // Blocks while empty.
  void Pop(T& out) {
    for (int spin = 0; !TryPop(out); ++spin) {
      if (spin < kSpins) {
        Relax();
        continue;
      }
      consumer_sleeping_.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (TryPop(out)) {
        consumer_sleeping_.store(false, std::memory_order_relaxed);
        return;
      }
      tail_.wait(cached_tail_, std::memory_order_acquire);
      consumer_sleeping_.store(false, std::memory_order_relaxed);
    }
  }

 private:
  static constexpr int kSpins = 64;
  static void Relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  const size_t capacity_;
  const uint32_t mask_;
  std::unique_ptr<T[]> cells_;
  // Producer and consumer indices on their own cache lines; each side caches
  // the other's index to touch the shared line only when it must.
  alignas(64) std::atomic<uint32_t> tail_{0};
  uint32_t cached_head_ = 0;  // producer's view of head_
  alignas(64) std::atomic<uint32_t> head_{0};
  uint32_t cached_tail_ = 0;  // consumer's view of tail_
  alignas(64) std::atomic<bool> consumer_sleeping_{false};
  std::atomic<bool> producer_sleeping_{false};
};

}  // namespace engine
