#pragma once

#include <cstdint>

#include "cep/base/function_ref.h"
#include "cep/event.h"

namespace cep {

// Index of a stage in a pattern, in pattern order (begin = 0).
using StageIndex = uint16_t;

// Read access to the events a partial match has accepted so far, for conditions
// over earlier stages (`sum(small.amount)`, `count(s)`, `large.amount > 10 *
// small.amount`) and for a looping stage's condition over its own events.
// Implemented by the NFA over its shared buffer; consumed by expression
// evaluation. Valid only during the call it is passed to.
class MatchView {
 public:
  virtual ~MatchView() = default;
  // Calls `fn` for each event `stage` has accepted so far, in acceptance order.
  virtual void ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const = 0;
};

}  // namespace cep
