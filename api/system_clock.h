#pragma once

#include <chrono>

#include "cep/base/clock.h"

namespace api {

// The real wall clock, for the service's idle timeouts and pacing. The rest of
// the code takes a cep::Clock&, so tests use tests/fakes/fake_clock.h.
class SystemClock final : public cep::Clock {
 public:
  cep::WallTime Now() const override {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return cep::WallTime::FromMillis(
        std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  }
};

}  // namespace api
