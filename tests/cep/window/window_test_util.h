#pragma once

// Random streams and input plumbing shared by the window tests.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cep/window/window_spec.h"
#include "tests/cep/window/window_reference.h"

namespace cep::testing {

// One of each function and type family, with and without filters.
inline std::vector<AggregateSpec> BroadAggregates() {
  using F = AggregateFunction;
  return {
      {F::kCount, Type::kNull, false},
      {F::kCount, Type::kNull, true},
      {F::kSum, Type::kInt, true},
      {F::kSum, Type::kDecimal, false},
      {F::kSum, Type::kFloat, false},
      {F::kSum, Type::kDuration, true},
      {F::kAvg, Type::kInt, false},
      {F::kAvg, Type::kDecimal, true},
      {F::kAvg, Type::kFloat, false},
      {F::kMin, Type::kInt, false},
      {F::kMax, Type::kDecimal, true},
      {F::kMin, Type::kFloat, true},
      {F::kMax, Type::kFloat, false},
      {F::kMax, Type::kTime, false},
      {F::kCountDistinct, Type::kString, false},
      {F::kCountDistinct, Type::kInt, true},
      {F::kCountDistinct, Type::kFloat, false},
  };
}

inline RefInput RandomInput(const AggregateSpec& spec, std::mt19937_64& rng) {
  RefInput r;
  r.included = !spec.has_filter || rng() % 4 != 0;
  if (spec.function == AggregateFunction::kCount || rng() % 7 == 0) return r;  // null
  r.type = spec.value_type;
  const auto small = static_cast<int64_t>(rng() % 101) - 50;
  switch (spec.value_type) {
    case Type::kInt:
      r.i = small;
      break;
    case Type::kDecimal:
      r.i = (static_cast<int64_t>(rng() % 200001) - 100000) * 10'000;
      break;
    case Type::kFloat:
      r.f = static_cast<double>(static_cast<int64_t>(rng() % 200001) - 100000) / 100.0;
      break;
    case Type::kDuration:
    case Type::kTime:
      r.i = small * 1000;
      break;
    case Type::kBool:
      r.i = small & 1;
      break;
    case Type::kString: {
      const uint64_t k = rng() % 24;
      r.s = k % 2 == 0 ? "m" + std::to_string(k)
                       : "a-merchant-name-longer-than-sso-" + std::to_string(k);
      break;
    }
    case Type::kNull:
      break;
  }
  return r;
}

// Events in ts order: runs of equal timestamps, short gaps and gaps longer than D.
inline std::vector<RefEvent> RandomStream(const WindowSpec& spec, uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  const int64_t d = spec.size().millis();
  std::vector<RefEvent> events;
  int64_t ts = -3 * d + static_cast<int64_t>(rng() % 1000);  // crosses zero: floor division
  for (size_t i = 0; i < n; ++i) {
    const uint64_t roll = rng() % 10;
    if (roll < 3) {
      // equal ts
    } else if (roll < 9) {
      ts += 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(1, d / 4)));
    } else {
      ts += d / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * d));
    }
    RefEvent event;
    event.ts = ts;
    for (const AggregateSpec& aggregate : spec.aggregates()) {
      event.inputs.push_back(RandomInput(aggregate, rng));
    }
    events.push_back(std::move(event));
  }
  return events;
}

// Builds AggregateInputs whose strings borrow a scratch buffer that is overwritten
// after each call, as a dying event's bytes would be.
class InputFeeder {
 public:
  template <typename Fn>
  auto Feed(const RefEvent& event, Fn&& fn) {
    scratch_.clear();
    for (const RefInput& r : event.inputs) scratch_ += r.s;
    inputs_.clear();
    size_t offset = 0;
    for (const RefInput& r : event.inputs) {
      Value value = r.ToValue();
      if (r.type == Type::kString) {
        value = Value::String(std::string_view(scratch_).substr(offset, r.s.size()));
      }
      offset += r.s.size();
      inputs_.push_back({r.included, value});
    }
    auto result = fn(std::span<const AggregateInput>(inputs_));
    std::fill(scratch_.begin(), scratch_.end(), '#');
    return result;
  }

 private:
  std::string scratch_;
  std::vector<AggregateInput> inputs_;
};

// Watermarks that keep every later event on time: at most next ts - 1.
inline int64_t RandomWatermark(std::mt19937_64& rng, int64_t previous, int64_t next_ts, int64_t d) {
  const int64_t candidate =
      next_ts - 1 - static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * d));
  return std::max(previous, candidate);
}

}  // namespace cep::testing
