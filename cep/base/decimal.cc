#include "cep/base/decimal.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace cep {

Result<int64_t> ParseDecimalMicros(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return InvalidArgument("invalid decimal '" + std::string(text) + "': " + std::string(why));
  };
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    negative = text[pos] == '-';
    ++pos;
  }
  // Collect the digits as an unscaled integer and count the decimal places.
  __extension__ using Int128 = __int128;  // -Wpedantic: a GCC/clang extension
  Int128 unscaled = 0;
  int places = 0;
  int digits = 0;
  bool seen_point = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c >= '0' && c <= '9') {
      unscaled = unscaled * 10 + (c - '0');
      ++digits;
      if (seen_point) ++places;
      if (unscaled > static_cast<Int128>(std::numeric_limits<int64_t>::max()) * kMicrosPerUnit) {
        return invalid("out of range");
      }
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits == 0) return invalid("expected digits");
  int exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    const char* first = text.data() + pos;
    if (pos < text.size() && text[pos] == '+') ++first;
    auto [end, ec] = std::from_chars(first, text.data() + text.size(), exponent);
    if (ec != std::errc() || end != text.data() + text.size() || exponent > 30 || exponent < -30) {
      return invalid("bad exponent");
    }
    pos = text.size();
  }
  if (pos != text.size()) return invalid("unexpected character");
  int scale = kDecimalPlaces - places + exponent;  // power of ten to multiply by
  // Trailing zeros beyond six places are harmless ("1.2500000").
  while (scale < 0 && unscaled % 10 == 0) {
    unscaled /= 10;
    ++scale;
  }
  if (scale < 0) return invalid("more than 6 decimal places");
  for (; scale > 0; --scale) {
    unscaled *= 10;
    if (unscaled > std::numeric_limits<int64_t>::max()) return invalid("out of range");
  }
  if (unscaled > std::numeric_limits<int64_t>::max()) return invalid("out of range");
  const auto magnitude = static_cast<int64_t>(unscaled);
  return negative ? -magnitude : magnitude;
}

Result<int64_t> DecimalMicrosFromDouble(double value) {
  if (!std::isfinite(value)) return InvalidArgument("invalid decimal: not a finite number");
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  if (ec != std::errc()) return InvalidArgument("invalid decimal: cannot format");
  return ParseDecimalMicros(std::string_view(buf, static_cast<size_t>(end - buf)));
}

std::string FormatDecimalMicros(int64_t micros) {
  const bool negative = micros < 0;
  // Work in unsigned so INT64_MIN negates safely.
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(micros + 1)) + 1 : static_cast<uint64_t>(micros);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / kMicrosPerUnit);
  uint64_t fraction = magnitude % kMicrosPerUnit;
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, static_cast<size_t>(kDecimalPlaces) - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

}  // namespace cep
