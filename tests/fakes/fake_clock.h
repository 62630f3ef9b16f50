#pragma once

#include <atomic>

#include "cep/base/clock.h"

namespace fakes {

// A Clock that moves only when a test says so: tests advance time instead of
// sleeping. Safe to read from any thread while the test thread advances it.
class FakeClock final : public cep::Clock {
 public:
  explicit FakeClock(cep::WallTime start = cep::WallTime::FromMillis(1'700'000'000'000))
      : now_ms_(start.millis()) {}

  cep::WallTime Now() const override { return cep::WallTime::FromMillis(now_ms_.load()); }
  void Advance(cep::Duration d) { now_ms_ += d.millis(); }
  void Set(cep::WallTime t) { now_ms_ = t.millis(); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace fakes
