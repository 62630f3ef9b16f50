#include "cep/base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace cep {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgument("not positive");
  return x;
}

Result<int> Doubled(int x) {
  ASSIGN_OR_RETURN(int value, ParsePositive(x));
  return value * 2;
}

TEST(ResultTest, HoldsAValue) {
  Result<int> r = ParsePositive(4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 4);
  EXPECT_EQ(r.value_or(7), 4);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> r = ParsePositive(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(ResultTest, AssignOrReturnPropagatesErrors) {
  EXPECT_EQ(*Doubled(5), 10);
  EXPECT_EQ(Doubled(0).error().message(), "not positive");
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 3);
}

TEST(ResultTest, CustomErrorTypeSuchAsDiagnostics) {
  using Diagnostics = std::vector<std::string>;
  Result<std::string, Diagnostics> bad = Unexpected(Diagnostics{"1:1: expected rule"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().size(), 1u);
  Result<std::string, Diagnostics> good = std::string("program");
  EXPECT_EQ(*good, "program");
}

TEST(ResultDeathTest, ReadingTheWrongAlternativeIsABug) {
  Result<int> r = ParsePositive(-1);
  EXPECT_DEATH((void)r.value(), "value\\(\\) of a failed Result");
  EXPECT_DEATH((void)Result<int>(Status::Ok()), "non-ok Status");
}

}  // namespace
}  // namespace cep
