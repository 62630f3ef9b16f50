#pragma once

// The slow, obviously correct answer for the window tests: keeps every event with
// owned values and recomputes each aggregate from scratch. Shares no code with
// cep/window/ on purpose.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cep/value.h"
#include "cep/window/window_spec.h"

namespace cep::testing {

__extension__ typedef __int128 Int128;

// One aggregate input with owned string bytes.
struct RefInput {
  bool included = true;
  Type type = Type::kNull;  // kNull: the value is null
  int64_t i = 0;            // int, decimal, time, duration, bool
  double f = 0;             // float
  std::string s;            // string

  static RefInput Of(const AggregateInput& input) {
    RefInput r;
    r.included = input.included;
    const Value& v = input.value;
    r.type = v.type();
    switch (v.type()) {
      case Type::kNull:
        break;
      case Type::kBool:
        r.i = v.bool_value() ? 1 : 0;
        break;
      case Type::kInt:
        r.i = v.int_value();
        break;
      case Type::kDecimal:
        r.i = v.decimal_micros();
        break;
      case Type::kTime:
        r.i = v.time_value().millis();
        break;
      case Type::kDuration:
        r.i = v.duration_value().millis();
        break;
      case Type::kFloat:
        r.f = v.float_value();
        break;
      case Type::kString:
        r.s = std::string(v.string_value());
        break;
    }
    return r;
  }
  Value ToValue() const {
    switch (type) {
      case Type::kNull:
        return Value::Null();
      case Type::kBool:
        return Value::Bool(i != 0);
      case Type::kInt:
        return Value::Int(i);
      case Type::kDecimal:
        return Value::Decimal(i);
      case Type::kTime:
        return Value::Time(EventTime::FromMillis(i));
      case Type::kDuration:
        return Value::Dur(Duration::Millis(i));
      case Type::kFloat:
        return Value::Float(f);
      case Type::kString:
        return Value::String(s);
    }
    return Value::Null();
  }
  std::string DistinctText() const {
    if (type == Type::kString) return "s:" + s;
    if (type == Type::kFloat) {
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), "f:%a", f == 0.0 ? 0.0 : f);
      return buffer;
    }
    return "i:" + std::to_string(i);
  }
};

struct RefEvent {
  int64_t ts = 0;
  std::vector<RefInput> inputs;
};

inline int64_t RoundHalfAway(Int128 sum, int64_t n) {
  const Int128 magnitude = sum < 0 ? -sum : sum;
  const auto q = static_cast<int64_t>((2 * magnitude + n) / (2 * Int128{n}));
  return sum < 0 ? -q : q;
}

// The value of aggregate `index` over `events`, per README "Aggregates".
inline Value RefAggregate(const AggregateSpec& spec, size_t index,
                          const std::vector<const RefEvent*>& events) {
  std::vector<const RefInput*> in;
  int64_t count = 0;
  for (const RefEvent* e : events) {
    const RefInput& input = e->inputs[index];
    if (!input.included) continue;
    ++count;
    if (input.type != Type::kNull) in.push_back(&input);
  }
  switch (spec.function) {
    case AggregateFunction::kCount:
      return Value::Int(count);
    case AggregateFunction::kCountDistinct: {
      std::set<std::string> distinct;
      for (const RefInput* r : in) distinct.insert(r->DistinctText());
      return Value::Int(static_cast<int64_t>(distinct.size()));
    }
    case AggregateFunction::kSum:
    case AggregateFunction::kAvg: {
      Int128 sum = 0;
      double fsum = 0;
      for (const RefInput* r : in) {
        sum += r->i;
        fsum += r->f;
      }
      const auto n = static_cast<int64_t>(in.size());
      if (spec.function == AggregateFunction::kSum) {
        switch (spec.value_type) {
          case Type::kFloat:
            return Value::Float(fsum);
          case Type::kDecimal:
            return Value::Decimal(static_cast<int64_t>(sum));
          case Type::kDuration:
            return Value::Dur(Duration::Millis(static_cast<int64_t>(sum)));
          default:
            return Value::Int(static_cast<int64_t>(sum));
        }
      }
      if (n == 0) return Value::Null();
      switch (spec.value_type) {
        case Type::kFloat:
          return Value::Float(fsum / static_cast<double>(n));
        case Type::kDecimal:
          return Value::Decimal(RoundHalfAway(sum, n));
        case Type::kDuration:
          return Value::Dur(Duration::Millis(RoundHalfAway(sum, n)));
        default:
          return Value::Float(static_cast<double>(sum) / static_cast<double>(n));
      }
    }
    case AggregateFunction::kMin:
    case AggregateFunction::kMax: {
      const RefInput* best = nullptr;
      const bool is_min = spec.function == AggregateFunction::kMin;
      for (const RefInput* r : in) {
        if (best == nullptr) {
          best = r;
          continue;
        }
        const bool less = r->type == Type::kFloat ? r->f < best->f : r->i < best->i;
        const bool greater = r->type == Type::kFloat ? r->f > best->f : r->i > best->i;
        if (is_min ? less : greater) best = r;
      }
      return best == nullptr ? Value::Null() : best->ToValue();
    }
  }
  return Value::Null();
}

inline std::vector<Value> RefAggregates(const WindowSpec& spec,
                                        const std::vector<const RefEvent*>& events) {
  std::vector<Value> values;
  for (size_t i = 0; i < spec.aggregate_count(); ++i) {
    values.push_back(RefAggregate(spec.aggregates()[i], i, events));
  }
  return values;
}

// `last D` at event `at` (index into the ts-ordered `events`): events 0..at with
// ts in (ts[at] - D, ts[at]].
inline std::vector<Value> RefLast(const WindowSpec& spec, const std::vector<RefEvent>& events,
                                  size_t at) {
  std::vector<const RefEvent*> in;
  const int64_t t = events[at].ts;
  for (size_t j = 0; j <= at; ++j) {
    if (events[j].ts > t - spec.size().millis()) in.push_back(&events[j]);
  }
  return RefAggregates(spec, in);
}

// Every window that fires over the whole stream, in firing order (end, then start).
inline std::vector<WindowResult> RefFiredWindows(const WindowSpec& spec,
                                                 const std::vector<RefEvent>& events) {
  std::vector<WindowResult> out;
  const int64_t d = spec.size().millis();
  // Events [first, last) of the ts-ordered stream form the window [start, end).
  auto collect = [&](int64_t start, int64_t end, size_t first, size_t last) {
    std::vector<const RefEvent*> in;
    for (size_t i = first; i < last; ++i) in.push_back(&events[i]);
    if (!in.empty()) {
      out.push_back(
          {EventTime::FromMillis(start), EventTime::FromMillis(end), RefAggregates(spec, in)});
    }
  };
  auto index_of = [&](int64_t ts) {  // first event with ts >= `ts`
    return static_cast<size_t>(std::partition_point(events.begin(), events.end(),
                                                    [ts](const RefEvent& e) { return e.ts < ts; }) -
                               events.begin());
  };
  if (spec.kind() == WindowKind::kSession) {
    for (size_t i = 0; i < events.size();) {
      size_t j = i;
      while (j + 1 < events.size() && events[j + 1].ts - events[j].ts < d) ++j;
      collect(events[i].ts, events[j].ts + d, i, j + 1);
      i = j + 1;
    }
  } else if (!events.empty()) {
    const int64_t s = spec.slide().millis();
    auto floor_div = [](int64_t a, int64_t b) { return a / b - ((a % b != 0 && a < 0) ? 1 : 0); };
    for (int64_t k = floor_div(events.front().ts - d, s); k <= floor_div(events.back().ts, s);
         ++k) {
      collect(k * s, k * s + d, index_of(k * s), index_of(k * s + d));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const WindowResult& a, const WindowResult& b) {
    return a.end != b.end ? a.end < b.end : a.start < b.start;
  });
  return out;
}

// Equal values; floats within 1e-6 + 1e-9 relative (running sums add in another order).
inline bool ValuesMatch(const Value& actual, const Value& expected) {
  if (actual.type() != expected.type()) return false;
  if (actual.type() != Type::kFloat) return actual.SameAs(expected);
  const double a = actual.float_value();
  const double e = expected.float_value();
  return std::fabs(a - e) <= 1e-6 + 1e-9 * std::fabs(e);
}

}  // namespace cep::testing
