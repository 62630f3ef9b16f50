#include "engine/service/latency_histogram.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace engine {
namespace {

TEST(LatencyHistogramTest, StartsEmptyWithDefaultBounds) {
  LatencyHistogram histogram;
  const HistogramFigures figures = histogram.Read();
  EXPECT_EQ(figures.upper_bounds, LatencyHistogram::DefaultBounds());
  EXPECT_EQ(figures.upper_bounds.size(), 16u);
  EXPECT_EQ(figures.counts, std::vector<uint64_t>(17, 0));
  EXPECT_EQ(figures.count, 0u);
  EXPECT_EQ(figures.sum, 0);
}

TEST(LatencyHistogramTest, RecordsIntoTheFirstBucketWhoseBoundIsAtLeastTheValue) {
  LatencyHistogram histogram({0.01, 0.1, 1});
  histogram.Record(0.01);   // on the bound: that bucket
  histogram.Record(0.005);  // below
  histogram.Record(-3);     // negative: first bucket
  histogram.Record(0.0100001);
  histogram.Record(1);
  histogram.Record(1.5);                                       // +Inf
  histogram.Record(600);                                       // +Inf
  histogram.Record(std::numeric_limits<double>::quiet_NaN());  // ignored
  histogram.Record(std::numeric_limits<double>::infinity());   // ignored

  const HistogramFigures figures = histogram.Read();
  EXPECT_EQ(figures.upper_bounds, (std::vector<double>{0.01, 0.1, 1}));
  EXPECT_EQ(figures.counts, (std::vector<uint64_t>{3, 1, 1, 2}));
  EXPECT_EQ(figures.count, 7u);
  EXPECT_DOUBLE_EQ(figures.sum, 0.01 + 0.005 - 3 + 0.0100001 + 1 + 1.5 + 600);
}

TEST(LatencyHistogramTest, ConcurrentRecordsAreAllCounted) {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      // Thread t records 0.001 * (t + 1) s: exact bucket and an exactly known sum
      // in micro-seconds, checked below with a tolerance for double rounding.
      for (int i = 0; i < kPerThread; ++i) histogram.Record(0.001 * (t + 1));
    });
  }
  // Reads racing the writers stay self-consistent.
  for (int i = 0; i < 100; ++i) {
    const HistogramFigures figures = histogram.Read();
    uint64_t total = 0;
    for (uint64_t c : figures.counts) total += c;
    ASSERT_EQ(total, figures.count);
  }
  for (auto& thread : threads) thread.join();

  const HistogramFigures figures = histogram.Read();
  EXPECT_EQ(figures.count, 40'000u);
  // 0.001 -> le 0.001; 0.002 -> le 0.0025; 0.003 and 0.004 -> le 0.005.
  EXPECT_EQ(figures.counts[0], 10'000u);
  EXPECT_EQ(figures.counts[1], 10'000u);
  EXPECT_EQ(figures.counts[2], 20'000u);
  EXPECT_NEAR(figures.sum, 10'000 * (0.001 + 0.002 + 0.003 + 0.004), 1e-6);
}

TEST(LatencyHistogramDeathTest, RefusesBoundsThatDoNotIncrease) {
  EXPECT_DEATH(LatencyHistogram histogram({1, 1}), "strictly increase");
  EXPECT_DEATH(LatencyHistogram histogram({std::numeric_limits<double>::infinity()}), "finite");
}

}  // namespace
}  // namespace engine
