#pragma once

// Shared by the wire codecs; private to cep_wire.

#include <cstdint>
#include <string>

namespace wire::internal {

// Doubles represent every integer and every 6-place decimal with up to 15
// significant digits exactly; beyond that a JSON number would round.
inline constexpr int64_t kMaxExactJsonMicros = 999'999'999'999'999;

inline bool FitsJsonNumber(int64_t micros) {
  return micros <= kMaxExactJsonMicros && micros >= -kMaxExactJsonMicros;
}

}  // namespace wire::internal
