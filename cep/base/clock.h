#pragma once

#include "cep/base/time.h"

namespace cep {

// Where processing (wall-clock) time comes from. Nothing in cep/ or engine/ reads
// the system clock directly: it takes a Clock&, so tests drive time with a
// FakeClock (tests/fakes/fake_clock.h) and never sleep. api/ wires the real one
// (api/system_clock.h).
//
// Threading: implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;
};

}  // namespace cep
