#pragma once

// Exact integer and decimal arithmetic for expression evaluation: every helper
// reports overflow or division by zero as std::nullopt, which the caller turns
// into a null Value (cep/expr/README.md, "Overflow and division").

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>

#include "cep/base/decimal.h"

namespace cep::internal {

__extension__ using Int128 = __int128;  // -Wpedantic: a GCC/clang extension

inline std::optional<int64_t> FromInt128(Int128 v) {
  if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

// num / den rounded to the nearest integer, ties to even (banker's rounding),
// so sums of rounded values do not drift in one direction.
inline std::optional<int64_t> DivRoundHalfEven(Int128 num, Int128 den) {
  if (den == 0) return std::nullopt;
  Int128 q = num / den;
  const Int128 r = num % den;
  if (r != 0) {
    const Int128 twice_r = 2 * (r < 0 ? -r : r);
    const Int128 abs_den = den < 0 ? -den : den;
    if (twice_r > abs_den || (twice_r == abs_den && (q % 2) != 0)) {
      q += ((num < 0) != (den < 0)) ? -1 : 1;
    }
  }
  return FromInt128(q);
}

inline std::optional<int64_t> CheckedAdd(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}
inline std::optional<int64_t> CheckedSub(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}
inline std::optional<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}
// Truncates toward zero, like C++ and SQL integer division.
inline std::optional<int64_t> CheckedDiv(int64_t a, int64_t b) {
  if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1)) return std::nullopt;
  return a / b;
}
// The remainder has the sign of the dividend; INT64_MIN % -1 is 0 (UB in C++).
inline std::optional<int64_t> CheckedMod(int64_t a, int64_t b) {
  if (b == 0) return std::nullopt;
  if (b == -1) return 0;
  return a % b;
}
inline std::optional<int64_t> CheckedNeg(int64_t a) {
  if (a == std::numeric_limits<int64_t>::min()) return std::nullopt;
  return -a;
}

inline std::optional<int64_t> IntToDecimal(int64_t i) { return CheckedMul(i, kMicrosPerUnit); }
// decimal * decimal: the exact product has 12 places; round it to 6.
inline std::optional<int64_t> DecimalMul(int64_t a, int64_t b) {
  return DivRoundHalfEven(static_cast<Int128>(a) * b, kMicrosPerUnit);
}
// decimal / decimal, rounded half-even to 6 places.
inline std::optional<int64_t> DecimalDiv(int64_t a, int64_t b) {
  return DivRoundHalfEven(static_cast<Int128>(a) * kMicrosPerUnit, b);
}

// Three-way comparisons that are exact across int and decimal. A float compared
// with an int is exact too: both fit a long double's 64-bit mantissa on x86-64.
// Float comparisons are partial (NaN is unordered).
inline std::strong_ordering CompareIntDecimal(int64_t i, int64_t micros) {
  return static_cast<Int128>(i) * kMicrosPerUnit <=> static_cast<Int128>(micros);
}
inline std::partial_ordering CompareIntFloat(int64_t i, double f) {
  return static_cast<long double>(i) <=> static_cast<long double>(f);
}
inline std::partial_ordering CompareDecimalFloat(int64_t micros, double f) {
  return DecimalMicrosToDouble(micros) <=> f;
}

}  // namespace cep::internal
