// The incremental window states against the brute-force reference
// (window_reference.h) on random streams with fixed seeds.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cep/window/firing_window_state.h"
#include "cep/window/last_window_state.h"
#include "tests/cep/window/window_reference.h"
#include "tests/cep/window/window_test_util.h"

namespace cep {
namespace {

using testing::BroadAggregates;
using testing::InputFeeder;
using testing::RandomStream;
using testing::RefEvent;
using testing::ValuesMatch;

constexpr size_t kEvents = 3000;

std::string Describe(const std::vector<Value>& actual, const std::vector<Value>& expected,
                     const WindowSpec& spec) {
  std::string out;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (ValuesMatch(actual[i], expected[i])) continue;
    out += std::string(AggregateFunctionName(spec.aggregates()[i].function)) + "#" +
           std::to_string(i) + " got " + std::string(TypeName(actual[i].type())) + " " +
           (actual[i].is_null() || actual[i].type() == Type::kString
                ? ""
                : std::to_string(actual[i].AsDouble())) +
           " want " + std::string(TypeName(expected[i].type())) + " " +
           (expected[i].is_null() || expected[i].type() == Type::kString
                ? ""
                : std::to_string(expected[i].AsDouble())) +
           "; ";
  }
  return out;
}

bool AllMatch(const std::vector<Value>& actual, const std::vector<Value>& expected) {
  if (actual.size() != expected.size()) return false;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!ValuesMatch(actual[i], expected[i])) return false;
  }
  return true;
}

void RunLast(Duration size, uint64_t seed) {
  const WindowSpec spec = *WindowSpec::Last(size, BroadAggregates());
  const std::vector<RefEvent> events = RandomStream(spec, seed, kEvents);
  std::mt19937_64 rng(seed ^ 0x5eed);
  LastWindowState state(spec);
  InputFeeder feeder;
  std::vector<Value> results(spec.aggregate_count());
  int64_t watermark = INT64_MIN;
  for (size_t i = 0; i < events.size(); ++i) {
    const Status status = feeder.Feed(events[i], [&](std::span<const AggregateInput> inputs) {
      return state.OnEvent(EventTime::FromMillis(events[i].ts), inputs, results);
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
    const std::vector<Value> expected = testing::RefLast(spec, events, i);
    ASSERT_TRUE(AllMatch(results, expected))
        << "seed " << seed << " event " << i << ": " << Describe(results, expected, spec);
    if (i + 1 < events.size() && rng() % 3 == 0) {
      watermark = testing::RandomWatermark(rng, watermark, events[i + 1].ts, size.millis());
      state.AdvanceWatermark(EventTime::FromMillis(watermark));
    }
  }
  state.AdvanceWatermark(state.NextDeadline());
  EXPECT_TRUE(state.empty());
}

// Feeds the stream with random watermarks that keep every event on time; checks each
// window fires in the first AdvanceWatermark with watermark >= end - 1.
void RunFiring(const WindowSpec& spec, uint64_t seed) {
  const std::vector<RefEvent> events = RandomStream(spec, seed, kEvents);
  std::mt19937_64 rng(seed ^ 0x5eed);
  FiringWindowState state(spec);
  InputFeeder feeder;
  std::vector<WindowResult> fired;
  int64_t watermark = INT64_MIN;
  auto advance = [&](int64_t to) {
    const size_t before = fired.size();
    EXPECT_GT(state.NextDeadline().millis(), watermark) << "a due window did not fire";
    state.AdvanceWatermark(EventTime::FromMillis(to), fired);
    for (size_t f = before; f < fired.size(); ++f) {
      const int64_t due = fired[f].end.millis() - 1;
      EXPECT_TRUE(watermark < due && due <= to) << "window fired late or early, seed " << seed;
    }
    watermark = to;
  };
  for (size_t i = 0; i < events.size(); ++i) {
    const Status status = feeder.Feed(events[i], [&](std::span<const AggregateInput> inputs) {
      return state.OnEvent(EventTime::FromMillis(events[i].ts), inputs);
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
    if (i + 1 < events.size() && rng() % 3 == 0) {
      advance(testing::RandomWatermark(rng, watermark, events[i + 1].ts, spec.size().millis()));
    }
  }
  advance(INT64_MAX);
  EXPECT_TRUE(state.empty());
  const std::vector<WindowResult> expected = testing::RefFiredWindows(spec, events);
  ASSERT_EQ(fired.size(), expected.size()) << "seed " << seed;
  for (size_t w = 0; w < fired.size(); ++w) {
    ASSERT_EQ(fired[w].start, expected[w].start) << "window " << w << " seed " << seed;
    ASSERT_EQ(fired[w].end, expected[w].end) << "window " << w << " seed " << seed;
    ASSERT_TRUE(AllMatch(fired[w].values, expected[w].values))
        << "window " << w << " seed " << seed << ": "
        << Describe(fired[w].values, expected[w].values, spec);
  }
}

TEST(WindowDifferentialTest, LastMatchesReference) {
  for (uint64_t seed = 1; seed <= 4; ++seed) RunLast(Duration::Millis(1000), seed);
  RunLast(Duration::Millis(1), 11);      // only equal timestamps share a window
  RunLast(Duration::Millis(50000), 12);  // long window: deep deques and many evictions
}

TEST(WindowDifferentialTest, TumblingMatchesReference) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    RunFiring(*WindowSpec::Tumbling(Duration::Millis(1000), BroadAggregates()), seed);
  }
  RunFiring(*WindowSpec::Tumbling(Duration::Millis(1), BroadAggregates()), 7);
}

TEST(WindowDifferentialTest, SlidingMatchesReference) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    RunFiring(
        *WindowSpec::Sliding(Duration::Millis(1000), Duration::Millis(250), BroadAggregates()),
        seed);
  }
  // D not a multiple of S, and S > D (events between windows belong to none).
  RunFiring(*WindowSpec::Sliding(Duration::Millis(1000), Duration::Millis(300), BroadAggregates()),
            8);
  RunFiring(*WindowSpec::Sliding(Duration::Millis(400), Duration::Millis(1000), BroadAggregates()),
            9);
}

TEST(WindowDifferentialTest, SessionMatchesReference) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    RunFiring(*WindowSpec::Session(Duration::Millis(1000), BroadAggregates()), seed);
  }
  RunFiring(*WindowSpec::Session(Duration::Millis(1), BroadAggregates()), 10);
}

}  // namespace
}  // namespace cep
