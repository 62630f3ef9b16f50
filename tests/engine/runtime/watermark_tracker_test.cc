#include "engine/runtime/watermark_tracker.h"

#include <gtest/gtest.h>

namespace engine {
namespace {

using cep::Duration;
using cep::EventTime;
using cep::WallTime;

EventTime T(int64_t ms) { return EventTime::FromMillis(ms); }
WallTime W(int64_t ms) { return WallTime::FromMillis(ms); }

TEST(WatermarkTrackerTest, IsTheMinimumOverPartitionsMinusOutOfOrdernessAndOneMilli) {
  WatermarkTracker t(Duration::Millis(100), Duration::Seconds(10));
  t.Observe(0, T(5'000), W(0));
  t.Observe(1, T(3'000), W(0));
  EXPECT_EQ(t.Advance(W(0)), T(3'000 - 100 - 1));
  t.Observe(1, T(9'000), W(1));
  EXPECT_EQ(t.Advance(W(1)), T(5'000 - 100 - 1));
}

TEST(WatermarkTrackerTest, NeverGoesBack) {
  WatermarkTracker t(Duration::Zero(), Duration::Seconds(10));
  t.Observe(0, T(5'000), W(0));
  EXPECT_EQ(t.Advance(W(0)), T(4'999));
  t.Observe(1, T(1'000), W(0));  // a new partition behind the others
  EXPECT_EQ(t.Advance(W(0)), T(4'999));
}

TEST(WatermarkTrackerTest, AnAssignedPartitionHoldsTheWatermarkBackUntilItDeliversOrIdles) {
  WatermarkTracker t(Duration::Zero(), Duration::Seconds(10));
  t.Assign(0, W(0));
  t.Assign(1, W(0));
  t.Observe(0, T(5'000), W(1'000));
  EXPECT_EQ(t.Advance(W(1'000)), EventTime::Min()) << "partition 1 may still deliver older events";
  EXPECT_EQ(t.Advance(W(10'000)), T(4'999)) << "partition 1 idled out after 10 s";
}

TEST(WatermarkTrackerTest, AnIdlePartitionStopsStallingTheOthers) {
  WatermarkTracker t(Duration::Zero(), Duration::Seconds(10));
  t.Observe(0, T(1'000), W(0));
  t.Observe(1, T(1'000), W(0));
  // Partition 0 goes quiet; partition 1 delivers every second.
  for (int64_t s = 1; s <= 20; ++s) {
    t.Observe(1, T(1'000 + s * 1'000), W(s * 1'000));
    const EventTime w = t.Advance(W(s * 1'000));
    if (s < 10) {
      EXPECT_EQ(w, T(999)) << "not idle yet at " << s << " s";
    } else {
      EXPECT_EQ(w, T(1'000 + s * 1'000 - 1)) << "partition 0 idle at " << s << " s";
    }
  }
  // Partition 0 comes back: it holds the watermark again (which does not go back).
  EXPECT_TRUE(t.Observe(0, T(15'000), W(20'500))) << "behind the watermark: late";
  t.Observe(1, T(40'000), W(20'500));
  EXPECT_EQ(t.Advance(W(20'500)), T(1'000 + 20'000 - 1));
  t.Observe(0, T(30'000), W(21'000));
  EXPECT_EQ(t.Advance(W(21'000)), T(29'999));
}

TEST(WatermarkTrackerTest, WhenEveryPartitionIdlesTheLargestWatermarkWins) {
  WatermarkTracker t(Duration::Zero(), Duration::Seconds(10));
  t.Observe(0, T(1'000), W(0));
  t.Observe(1, T(7'000), W(0));
  EXPECT_EQ(t.Advance(W(0)), T(999));
  EXPECT_EQ(t.Advance(W(10'000)), T(6'999)) << "a quiet stream lets its last timeouts fire";
}

TEST(WatermarkTrackerTest, RevokedPartitionsNoLongerCount) {
  WatermarkTracker t(Duration::Zero(), Duration::Seconds(10));
  t.Observe(0, T(1'000), W(0));
  t.Observe(1, T(7'000), W(0));
  t.Revoke(0);
  EXPECT_EQ(t.Advance(W(0)), T(6'999));
  EXPECT_EQ(t.partitions(W(0)).size(), 1u);
}

TEST(WatermarkTrackerTest, LateIsAtOrBehindTheWatermark) {
  WatermarkTracker t(Duration::Zero(), Duration::Seconds(10));
  t.Observe(0, T(1'000), W(0));
  t.Advance(W(0));
  EXPECT_TRUE(t.Observe(0, T(999), W(0)));
  EXPECT_FALSE(t.Observe(0, T(1'000), W(0)));
}

}  // namespace
}  // namespace engine
