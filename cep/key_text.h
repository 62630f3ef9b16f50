#pragma once

#include <span>
#include <string>

#include "cep/event.h"
#include "cep/schema.h"
#include "cep/value.h"

namespace cep {

// How keys are named, in alerts and in the runner's key tables: `key F, G`
// becomes "acct-42|card-7", "" for `key none`. Ints, times and durations print
// as integers, decimals as FormatDecimalMicros, floats in shortest round-trip
// form. Shared so that tools (replay scoring) name keys exactly as alerts do.

// Appends the text of one key field to `out`; false when it is null.
bool AppendKeyText(const Value& v, std::string& out);

// Appends the key of `event` over `slots` to `out`; false when a key field is
// null (the event has no key; `out` then holds a partial text).
bool AppendEventKey(const Event& event, std::span<const SlotIndex> slots, std::string& out);

}  // namespace cep
