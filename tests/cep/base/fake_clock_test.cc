#include "tests/fakes/fake_clock.h"

#include <gtest/gtest.h>

namespace {

// What code under test sees: only the Clock interface.
cep::Duration Elapsed(const cep::Clock& clock, cep::WallTime since) { return clock.Now() - since; }

TEST(FakeClockTest, MovesOnlyWhenTold) {
  fakes::FakeClock clock(cep::WallTime::FromMillis(1000));
  const cep::WallTime start = clock.Now();
  EXPECT_EQ(Elapsed(clock, start), cep::Duration::Zero());
  clock.Advance(cep::Duration::Seconds(5));
  EXPECT_EQ(Elapsed(clock, start), cep::Duration::Seconds(5));
  clock.Set(cep::WallTime::FromMillis(0));
  EXPECT_EQ(clock.Now().millis(), 0);
}

}  // namespace
