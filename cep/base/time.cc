#include "cep/base/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace cep {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t millis;
};
// Largest first, so FormatDuration picks the biggest exact unit.
constexpr Unit kUnits[] = {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000},
                           {"ms", 1}};

// Reads exactly `width` digits at text[pos...]; false if any is not a digit.
bool ReadDigits(std::string_view text, size_t pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  int64_t count = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, count);
  if (ec != std::errc() || rest == text.data() || count < 0) {
    return InvalidArgument("invalid duration '" + std::string(text) +
                           "': expected a whole number followed by ms, s, m, h or d");
  }
  std::string_view suffix(rest, static_cast<size_t>(end - rest));
  for (const Unit& unit : kUnits) {
    if (suffix == unit.suffix) {
      int64_t ms = 0;
      if (__builtin_mul_overflow(count, unit.millis, &ms)) {
        return OutOfRange("duration '" + std::string(text) + "' is too large");
      }
      return Duration::Millis(ms);
    }
  }
  return InvalidArgument("invalid duration unit in '" + std::string(text) +
                         "': expected ms, s, m, h or d");
}

std::string FormatDuration(Duration d) {
  if (d.is_infinite()) return "infinite";
  const int64_t ms = d.millis();
  if (ms == 0) return "0ms";
  for (const Unit& unit : kUnits) {
    if (ms % unit.millis == 0) return std::to_string(ms / unit.millis) + std::string(unit.suffix);
  }
  return std::to_string(ms) + "ms";
}

Result<EventTime> ParseIso8601(std::string_view text) {
  auto invalid = [&] {
    return InvalidArgument("invalid timestamp '" + std::string(text) +
                           "': expected ISO-8601 such as 2018-04-01T00:00:31Z");
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day)) {
    return invalid();
  }
  size_t pos = 10;
  if (pos < text.size()) {
    if ((text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') ||
        !ReadDigits(text, pos + 1, 2, hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadDigits(text, pos + 4, 2, minute)) {
      return invalid();
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!ReadDigits(text, pos + 1, 2, second)) return invalid();
      pos += 3;
    }
  }
  int64_t millis = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      // Keep milliseconds; finer digits are truncated, as event time is in ms.
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return invalid();
    for (; digits < 3; ++digits) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      const int sign = text[pos] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!ReadDigits(text, pos + 1, 2, oh)) return invalid();
      size_t minute_pos = pos + 3;
      if (minute_pos < text.size() && text[minute_pos] == ':') ++minute_pos;
      if (!ReadDigits(text, minute_pos, 2, om)) return invalid();
      offset_minutes = sign * (oh * 60 + om);
      pos = minute_pos + 2;
    }
  }
  if (pos != text.size()) return invalid();

  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return invalid();
  const int64_t days = sys_days(date).time_since_epoch().count();
  const int64_t seconds = days * 86'400 + hour * 3'600 + minute * 60 + second - offset_minutes * 60;
  return EventTime::FromMillis(seconds * 1000 + millis);
}

std::string FormatIso8601(EventTime t) {
  using namespace std::chrono;
  const int64_t ms = t.millis();
  const int64_t day_count = (ms >= 0 ? ms : ms - 86'399'999) / 86'400'000;
  const int64_t ms_of_day = ms - day_count * 86'400'000;
  const year_month_day date{sys_days{days{day_count}}};
  char buf[64];  // room for any int64 field, so nothing is ever truncated
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long long>(ms_of_day / 3'600'000),
                static_cast<long long>(ms_of_day / 60'000 % 60),
                static_cast<long long>(ms_of_day / 1000 % 60),
                static_cast<long long>(ms_of_day % 1000));
  return buf;
}

}  // namespace cep
