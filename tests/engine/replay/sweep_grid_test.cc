#include "engine/replay/sweep_grid.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace engine {
namespace {

using Values = std::vector<std::string>;

TEST(SweepGridTest, ValuesAreExactDecimalsInTheFinestPlace) {
  auto spike = ParseSweepParameter("SPIKE=2.6..3.0:0.1");
  ASSERT_TRUE(spike.ok()) << spike.error().message();
  EXPECT_EQ(spike->name, "SPIKE");
  EXPECT_EQ(spike->values, (Values{"2.6", "2.7", "2.8", "2.9", "3.0"}));
  EXPECT_EQ(ParseSweepParameter("N=2..4:1")->values, (Values{"2", "3", "4"}));
  EXPECT_EQ(ParseSweepParameter("N=1..2:0.25")->values, (Values{"1.00", "1.25", "1.50", "1.75", "2.00"}));
  EXPECT_EQ(ParseSweepParameter("N=-0.2..0.1:0.1")->values, (Values{"-0.2", "-0.1", "0.0", "0.1"}));
  // TO need not be on the grid; FROM == TO is one value.
  EXPECT_EQ(ParseSweepParameter("N=1..2:0.4")->values, (Values{"1.0", "1.4", "1.8"}));
  EXPECT_EQ(ParseSweepParameter("N=5..5:1")->values, (Values{"5"}));
  // Twenty values without drift (0.1 is no binary fraction).
  auto twenty = ParseSweepParameter("SPIKE=2.0..3.9:0.1");
  ASSERT_EQ(twenty->values.size(), 20u);
  EXPECT_EQ(twenty->values.back(), "3.9");
}

TEST(SweepGridTest, RefusesBadSpecsWithAReason) {
  for (const char* bad : {"SPIKE", "SPIKE=1..2", "SPIKE=1:2", "=1..2:1", "SPIKE=a..2:1",
                          "SPIKE=1..2:x", "SPIKE=1..2:", "SPIKE=1.0000000001..2:1"}) {
    EXPECT_FALSE(ParseSweepParameter(bad).ok()) << bad;
  }
  auto zero = ParseSweepParameter("SPIKE=1..2:0");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("STEP must be greater than 0"), std::string::npos);
  EXPECT_FALSE(ParseSweepParameter("SPIKE=1..2:-0.5").ok());
  auto backwards = ParseSweepParameter("SPIKE=3..2:0.1");
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.error().message().find("FROM must not be greater than TO"), std::string::npos);
  auto many = ParseSweepParameter("SPIKE=0..1000:1");  // 1001 values
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message().find("more than 1000"), std::string::npos);
  EXPECT_TRUE(ParseSweepParameter("SPIKE=1..1000:1").ok());
  auto dotted = ParseSweepParameter("rule.SPIKE=1..2:1");
  ASSERT_FALSE(dotted.ok());
  EXPECT_NE(dotted.error().message().find("write --sweep SPIKE=1..2:1"), std::string::npos)
      << dotted.error().message();
}

TEST(SweepGridTest, GridIsEveryCombinationFirstParameterSlowest) {
  auto grid = SweepGrid({{"A", {"1", "2"}}, {"B", {"x", "y", "z"}}});
  ASSERT_TRUE(grid.ok());
  ASSERT_EQ(grid->size(), 6u);
  EXPECT_EQ(VariantText((*grid)[0]), "A=1, B=x");
  EXPECT_EQ(VariantText((*grid)[2]), "A=1, B=z");
  EXPECT_EQ(VariantText((*grid)[3]), "A=2, B=x");
  EXPECT_EQ(VariantText((*grid)[5]), "A=2, B=z");
  EXPECT_FALSE(SweepGrid({{"A", {"1"}}, {"A", {"2"}}}).ok()) << "a name given twice";
  std::vector<std::string> forty(40, "1");
  auto big = SweepGrid({{"A", forty}, {"B", forty}});  // 1600 variants
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message().find("more than 1000 variants"), std::string::npos);
  EXPECT_TRUE(SweepGrid({{"A", forty}, {"B", std::vector<std::string>(25, "1")}}).ok());
}

TEST(SweepGridTest, ParetoFrontKeepsUndominatedPointsAndTies) {
  // 0 and 1 tie exactly (both on the front); 2 is dominated by 0 (same recall,
  // lower precision); 3 trades precision for recall; 4 is dominated by 3.
  const std::vector<bool> front = ParetoFront({{0.9, 0.3}, {0.9, 0.3}, {0.8, 0.3}, {0.5, 0.6},
                                               {0.5, 0.5}});
  EXPECT_EQ(front, (std::vector<bool>{true, true, false, true, false}));
  EXPECT_TRUE(ParetoFront({}).empty());
  EXPECT_EQ(ParetoFront({{0, 0}}), std::vector<bool>{true});
}

}  // namespace
}  // namespace engine
