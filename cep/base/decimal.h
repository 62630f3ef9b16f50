#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cep/base/result.h"

namespace cep {

// The `decimal` type of the rules language and the wire form of money: a
// fixed-point number in millionths (micro-units), held in an int64. Six places
// cover every ISO 4217 currency (at most 3 minor digits) with room for rates, the
// range (±9.2 trillion units) covers any single transaction, and sums, comparisons
// and equality are exact integer operations on the hot path.
inline constexpr int64_t kMicrosPerUnit = 1'000'000;
inline constexpr int kDecimalPlaces = 6;

// Parses "12.50", "-3", "0.000001", "1e3" exactly. More than six significant
// decimal places, or a value out of range, is an error rather than a silent
// rounding.
Result<int64_t> ParseDecimalMicros(std::string_view text);
// Parses a JSON/CSV double exactly as its shortest decimal form reads ("12.5"),
// with the same limits as ParseDecimalMicros.
Result<int64_t> DecimalMicrosFromDouble(double value);
// The shortest exact text: 12'500'000 -> "12.5", 3'000'000 -> "3".
std::string FormatDecimalMicros(int64_t micros);
inline double DecimalMicrosToDouble(int64_t micros) {
  return static_cast<double>(micros) / static_cast<double>(kMicrosPerUnit);
}

}  // namespace cep
