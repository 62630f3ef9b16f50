#include "cep/window/window_spec.h"

#include <gtest/gtest.h>

namespace cep {
namespace {

using F = AggregateFunction;

TEST(WindowSpecTest, RefusesNonPositiveDurations) {
  EXPECT_FALSE(WindowSpec::Last(Duration::Zero(), {}).ok());
  EXPECT_FALSE(WindowSpec::Tumbling(Duration::Millis(-5), {}).ok());
  EXPECT_FALSE(WindowSpec::Sliding(Duration::Minutes(5), Duration::Zero(), {}).ok());
  EXPECT_FALSE(WindowSpec::Session(Duration::Infinite(), {}).ok());
  EXPECT_TRUE(WindowSpec::Session(Duration::Minutes(5), {}).ok());
}

TEST(WindowSpecTest, RefusesTooManyOverlappingSlidingWindows) {
  EXPECT_FALSE(WindowSpec::Sliding(Duration::Hours(1), Duration::Millis(1), {}).ok());
  EXPECT_TRUE(WindowSpec::Sliding(Duration::Hours(1), Duration::Minutes(1), {}).ok());
}

TEST(WindowSpecTest, ChecksAggregateValueTypes) {
  EXPECT_FALSE(WindowSpec::Last(Duration::Minutes(1), {{F::kSum, Type::kString, false}}).ok());
  EXPECT_FALSE(WindowSpec::Last(Duration::Minutes(1), {{F::kAvg, Type::kTime, false}}).ok());
  EXPECT_FALSE(WindowSpec::Last(Duration::Minutes(1), {{F::kMin, Type::kString, false}}).ok());
  EXPECT_FALSE(
      WindowSpec::Last(Duration::Minutes(1), {{F::kCountDistinct, Type::kNull, false}}).ok());
  EXPECT_TRUE(
      WindowSpec::Last(Duration::Minutes(1), {{F::kCountDistinct, Type::kString, false}}).ok());
  EXPECT_TRUE(WindowSpec::Last(Duration::Minutes(1), {{F::kMax, Type::kTime, false}}).ok());
}

TEST(WindowSpecTest, RefusesMoreThan64Aggregates) {
  std::vector<AggregateSpec> aggregates(65, AggregateSpec{F::kCount, Type::kNull, true});
  EXPECT_FALSE(WindowSpec::Last(Duration::Minutes(1), aggregates).ok());
  aggregates.pop_back();
  EXPECT_TRUE(WindowSpec::Last(Duration::Minutes(1), aggregates).ok());
}

TEST(WindowSpecTest, CountAndSumNeedOnlyTsAndOnePayloadWord) {
  const WindowSpec spec = *WindowSpec::Last(
      Duration::Minutes(30), {{F::kCount, Type::kNull, false}, {F::kSum, Type::kDecimal, false}});
  EXPECT_FALSE(spec.has_mask());
  EXPECT_EQ(spec.row_words(), 2u);
  EXPECT_EQ(spec.layout()[1].payload_word, 1);
}

TEST(WindowSpecTest, FilteredCountAndAvgUseTheMaskWord) {
  const WindowSpec spec =
      *WindowSpec::Last(Duration::Minutes(30), {{F::kCount, Type::kNull, true},
                                                {F::kAvg, Type::kInt, false},
                                                {F::kMin, Type::kInt, false},
                                                {F::kCountDistinct, Type::kInt, false}});
  EXPECT_TRUE(spec.has_mask());
  EXPECT_EQ(spec.row_words(), 4u);  // ts, mask, avg payload, distinct node
  EXPECT_EQ(spec.extreme_count(), 1u);
  EXPECT_EQ(spec.distinct_count(), 1u);
}

}  // namespace
}  // namespace cep
