#include "cep/base/time.h"

#include <gtest/gtest.h>

namespace cep {
namespace {

TEST(DurationTest, ParsesEveryUnitOfTheLanguage) {
  EXPECT_EQ(*ParseDuration("250ms"), Duration::Millis(250));
  EXPECT_EQ(*ParseDuration("10s"), Duration::Seconds(10));
  EXPECT_EQ(*ParseDuration("5m"), Duration::Minutes(5));
  EXPECT_EQ(*ParseDuration("2h"), Duration::Hours(2));
  EXPECT_EQ(*ParseDuration("7d"), Duration::Days(7));
  EXPECT_EQ(*ParseDuration("0s"), Duration::Zero());
}

TEST(DurationTest, RejectsMalformedLiterals) {
  for (const char* bad : {"", "10", "m", "10x", "1.5h", "-3s", "10 m", "99999999999999999d"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

TEST(DurationTest, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(Duration::Minutes(10)), "10m");
  EXPECT_EQ(FormatDuration(Duration::Millis(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(Duration::Hours(48)), "2d");
  EXPECT_EQ(FormatDuration(Duration::Zero()), "0ms");
  for (const char* text : {"250ms", "10s", "90m", "7d"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(text)), text);
  }
}

TEST(EventTimeTest, ArithmeticSaturatesAtTheEnds) {
  EXPECT_EQ(EventTime::Max() + Duration::Minutes(1), EventTime::Max());
  EXPECT_EQ(EventTime::Min() - Duration::Minutes(1), EventTime::Min());
  const EventTime t = EventTime::FromMillis(1000);
  EXPECT_EQ((t + Duration::Seconds(2)).millis(), 3000);
  EXPECT_EQ(EventTime::FromMillis(3000) - t, Duration::Seconds(2));
  EXPECT_LT(t, t + Duration::Millis(1));
}

TEST(Iso8601Test, ParsesTheFormsRealFeedsUse) {
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00Z")->millis(), 0);
  EXPECT_EQ(ParseIso8601("2023-11-14T22:13:20Z")->millis(), 1'700'000'000'000);
  EXPECT_EQ(ParseIso8601("2023-11-14T22:13:20.123Z")->millis(), 1'700'000'000'123);
  // The FDH history writes a space and no zone: UTC.
  EXPECT_EQ(ParseIso8601("2018-04-01 00:00:31")->millis(), 1'522'540'831'000);
  EXPECT_EQ(ParseIso8601("2023-11-15T00:13:20+02:00")->millis(), 1'700'000'000'000);
  EXPECT_EQ(ParseIso8601("2023-11-14T16:43:20-0530")->millis(), 1'700'000'000'000);
  EXPECT_EQ(ParseIso8601("2018-04-01")->millis(), 1'522'540'800'000);
  EXPECT_EQ(ParseIso8601("1969-12-31T23:59:59.5Z")->millis(), -500);
}

TEST(Iso8601Test, RejectsInvalidDatesAndJunk) {
  for (const char* bad : {"", "2018", "2018-13-01T00:00:00Z", "2018-02-30", "2018-04-01T25:00",
                          "2018-04-01T00:00:00Zjunk", "2018-04-01T00:00:00.Z", "yesterday"}) {
    EXPECT_FALSE(ParseIso8601(bad).ok()) << bad;
  }
}

TEST(Iso8601Test, FormatRoundTrips) {
  for (int64_t ms : {0LL, 1'700'000'000'123LL, -500LL, 1'522'540'831'000LL}) {
    const EventTime t = EventTime::FromMillis(ms);
    EXPECT_EQ(*ParseIso8601(FormatIso8601(t)), t) << FormatIso8601(t);
  }
  EXPECT_EQ(FormatIso8601(EventTime::FromMillis(1'700'000'000'123)), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace cep
