#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "cep/base/result.h"

namespace cep {

// A span of time in milliseconds, the unit of the rules language (`250ms`, `10m`).
// Used for both event time and wall time spans.
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Millis(int64_t ms) { return Duration(ms); }
  static constexpr Duration Seconds(int64_t s) { return Duration(s * 1000); }
  static constexpr Duration Minutes(int64_t m) { return Duration(m * 60'000); }
  static constexpr Duration Hours(int64_t h) { return Duration(h * 3'600'000); }
  static constexpr Duration Days(int64_t d) { return Duration(d * 86'400'000); }
  static constexpr Duration Zero() { return Duration(0); }
  static constexpr Duration Infinite() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t millis() const { return ms_; }
  constexpr bool is_infinite() const { return ms_ == std::numeric_limits<int64_t>::max(); }

  constexpr Duration operator+(Duration other) const { return Duration(ms_ + other.ms_); }
  constexpr Duration operator-(Duration other) const { return Duration(ms_ - other.ms_); }
  constexpr Duration operator*(int64_t factor) const { return Duration(ms_ * factor); }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(int64_t ms) : ms_(ms) {}
  int64_t ms_ = 0;
};

// A point in event time: the `ts` an event carries, in milliseconds since the Unix
// epoch (UTC). Watermarks and timer deadlines are EventTimes too. Distinct from
// WallTime so that the two can never be mixed up.
class EventTime {
 public:
  constexpr EventTime() = default;
  static constexpr EventTime FromMillis(int64_t ms) { return EventTime(ms); }
  // Before every real event: the watermark before any input.
  static constexpr EventTime Min() { return EventTime(std::numeric_limits<int64_t>::min()); }
  // After every real event: the watermark at the end of input ("+infinity").
  static constexpr EventTime Max() { return EventTime(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t millis() const { return ms_; }

  // Saturating: adding to Min/Max or overflowing stays at the ends, because a
  // deadline computed from an infinite watermark must stay infinite.
  constexpr EventTime operator+(Duration d) const {
    int64_t out = 0;
    if (__builtin_add_overflow(ms_, d.millis(), &out)) return d.millis() > 0 ? Max() : Min();
    return EventTime(out);
  }
  constexpr EventTime operator-(Duration d) const {
    int64_t out = 0;
    if (__builtin_sub_overflow(ms_, d.millis(), &out)) return d.millis() > 0 ? Min() : Max();
    return EventTime(out);
  }
  constexpr Duration operator-(EventTime other) const {
    return Duration::Millis(ms_ - other.ms_);
  }
  constexpr auto operator<=>(const EventTime&) const = default;

 private:
  constexpr explicit EventTime(int64_t ms) : ms_(ms) {}
  int64_t ms_ = 0;
};

// Processing (wall-clock) time in milliseconds since the Unix epoch, as read from a
// Clock. Used for idle timeouts, checkpoint intervals and latency figures; never
// for matching.
class WallTime {
 public:
  constexpr WallTime() = default;
  static constexpr WallTime FromMillis(int64_t ms) { return WallTime(ms); }
  constexpr int64_t millis() const { return ms_; }
  constexpr WallTime operator+(Duration d) const { return WallTime(ms_ + d.millis()); }
  constexpr Duration operator-(WallTime other) const { return Duration::Millis(ms_ - other.ms_); }
  constexpr auto operator<=>(const WallTime&) const = default;

 private:
  constexpr explicit WallTime(int64_t ms) : ms_(ms) {}
  int64_t ms_ = 0;
};

// Parses a duration literal of the rules language: an integer followed by one of
// the units ms, s, m, h, d ("250ms", "10s", "5m", "2h", "7d").
Result<Duration> ParseDuration(std::string_view text);
// The shortest exact literal for `d`: 600000 ms prints as "10m", 1500 ms as "1500ms".
std::string FormatDuration(Duration d);

// Parses an ISO-8601 / RFC 3339 timestamp: "2018-04-01T00:00:31Z",
// "2018-04-01 00:00:31" (a space is accepted for the T; no offset means UTC),
// fractional seconds up to milliseconds, and offsets "+02:00" / "-0530".
Result<EventTime> ParseIso8601(std::string_view text);
// "2018-04-01T00:00:31.000Z".
std::string FormatIso8601(EventTime t);

}  // namespace cep
