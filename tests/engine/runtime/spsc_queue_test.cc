#include "engine/runtime/spsc_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace engine {
namespace {

TEST(SpscQueueTest, RoundsCapacityUpToAPowerOfTwo) {
  EXPECT_EQ(SpscQueue<int>(5).capacity(), 8u);
  EXPECT_EQ(SpscQueue<int>(0).capacity(), 2u);
  EXPECT_EQ(SpscQueue<int>(64).capacity(), 64u);
}

TEST(SpscQueueTest, FirstInFirstOutAndFullWhenAtCapacity) {
  SpscQueue<int> q(4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(q.TryPush(int{i}));
  EXPECT_FALSE(q.TryPush(99)) << "a full queue refuses: that is the backpressure";
  EXPECT_EQ(q.size(), 4u);
  int out = -1;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.TryPop(out));
    EXPECT_EQ(out, i);
  }
  EXPECT_FALSE(q.TryPop(out));
  EXPECT_EQ(q.size(), 0u);
}

TEST(SpscQueueTest, WrapsAroundManyTimes) {
  SpscQueue<uint64_t> q(8);
  uint64_t out = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(q.TryPush(uint64_t{i}));
    ASSERT_TRUE(q.TryPop(out));
    EXPECT_EQ(out, i);
  }
}

TEST(SpscQueueTest, BlockingPushAndPopAcrossThreadsKeepOrder) {
  // A small ring forces the producer to block on full and the consumer on empty.
  SpscQueue<uint64_t> q(16);
  constexpr uint64_t kCount = 200'000;
  uint64_t waits = 0;
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kCount; ++i) waits += q.Push(uint64_t{i});
  });
  uint64_t expected = 1;
  uint64_t out = 0;
  bool in_order = true;
  for (uint64_t i = 1; i <= kCount; ++i) {
    q.Pop(out);
    in_order = in_order && out == expected++;
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace engine
