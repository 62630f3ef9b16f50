#include "cep/base/decimal.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace cep {
namespace {

TEST(DecimalTest, ParsesExactly) {
  EXPECT_EQ(*ParseDecimalMicros("12.50"), 12'500'000);
  EXPECT_EQ(*ParseDecimalMicros("-3"), -3'000'000);
  EXPECT_EQ(*ParseDecimalMicros("0.000001"), 1);
  EXPECT_EQ(*ParseDecimalMicros("1e3"), 1'000'000'000);
  EXPECT_EQ(*ParseDecimalMicros("2.5E-1"), 250'000);
  EXPECT_EQ(*ParseDecimalMicros("1.2500000000"), 1'250'000);
  EXPECT_EQ(*ParseDecimalMicros("+7."), 7'000'000);
}

TEST(DecimalTest, RefusesToRoundOrOverflow) {
  for (const char* bad : {"", "-", "abc", "1.0000001", "1e-7", "12.5.0", "9223372036854.775808",
                          "1e30", "1,5", "1.5 "}) {
    EXPECT_FALSE(ParseDecimalMicros(bad).ok()) << bad;
  }
}

TEST(DecimalTest, FormatsTheShortestExactText) {
  EXPECT_EQ(FormatDecimalMicros(12'500'000), "12.5");
  EXPECT_EQ(FormatDecimalMicros(3'000'000), "3");
  EXPECT_EQ(FormatDecimalMicros(-1), "-0.000001");
  EXPECT_EQ(FormatDecimalMicros(0), "0");
  EXPECT_EQ(FormatDecimalMicros(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(DecimalTest, TextRoundTripsForRandomValues) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10'000; ++i) {
    const auto micros = static_cast<int64_t>(rng());
    EXPECT_EQ(*ParseDecimalMicros(FormatDecimalMicros(micros)), micros);
  }
}

TEST(DecimalTest, DoublesWithFifteenDigitsRoundTripExactly) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(-999'999'999'999'999, 999'999'999'999'999);
  for (int i = 0; i < 10'000; ++i) {
    const int64_t micros = dist(rng);
    EXPECT_EQ(*DecimalMicrosFromDouble(DecimalMicrosToDouble(micros)), micros);
  }
  EXPECT_EQ(*DecimalMicrosFromDouble(57.16), 57'160'000);
  EXPECT_FALSE(DecimalMicrosFromDouble(0.1234567).ok());
}

}  // namespace
}  // namespace cep
