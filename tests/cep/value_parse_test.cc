#include "cep/value_parse.h"

#include <gtest/gtest.h>

namespace cep {
namespace {

TEST(ValueParseTest, ReadsEachType) {
  EXPECT_EQ(ParseValue(Type::kInt, "-42")->int_value(), -42);
  EXPECT_EQ(ParseValue(Type::kFloat, "2.5")->float_value(), 2.5);
  EXPECT_EQ(ParseValue(Type::kDecimal, "57.16")->decimal_micros(), 57'160'000);
  EXPECT_TRUE(ParseValue(Type::kBool, "1")->bool_value());
  EXPECT_EQ(ParseValue(Type::kString, "Lucky")->string_value(), "Lucky");
  EXPECT_EQ(ParseValue(Type::kTime, "2018-04-01 00:00:31")->time_value().millis(), 1'522'540'831'000);
  EXPECT_EQ(ParseValue(Type::kTime, "1700000000000")->time_value().millis(), 1'700'000'000'000);
  EXPECT_EQ(ParseValue(Type::kDuration, "10m")->duration_value(), Duration::Minutes(10));
}

TEST(ValueParseTest, EmptyCellsAreNullExceptStrings) {
  EXPECT_TRUE(ParseValue(Type::kDecimal, "")->is_null());
  EXPECT_TRUE(ParseValue(Type::kTime, "")->is_null());
  EXPECT_EQ(ParseValue(Type::kString, "")->type(), Type::kString);
}

TEST(ValueParseTest, ErrorsSayWhatWasExpected) {
  EXPECT_EQ(ParseValue(Type::kInt, "12a").error().message(), "expected an integer, got '12a'");
  EXPECT_FALSE(ParseValue(Type::kFloat, "inf").ok());
  EXPECT_FALSE(ParseValue(Type::kBool, "yes").ok());
  EXPECT_FALSE(ParseValue(Type::kDecimal, "1.2.3").ok());
  EXPECT_FALSE(ParseValue(Type::kTime, "soon").ok());
}

}  // namespace
}  // namespace cep
