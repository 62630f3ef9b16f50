// Snapshot at a random point, restore, continue: the results must equal those of an
// uninterrupted run. Corrupt or truncated bytes must be refused without crashing.
#include <algorithm>
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

constexpr size_t kEvents = 1500;

bool Identical(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].SameAs(b[i])) return false;
  }
  return true;
}

// Runs the stream; if `restore_at` < size, the state goes through Snapshot/Restore
// just before that event. Returns every result flattened.
std::vector<std::vector<Value>> RunLast(const WindowSpec& spec, const std::vector<RefEvent>& events,
                                        size_t restore_at) {
  LastWindowState state(spec);
  InputFeeder feeder;
  std::vector<std::vector<Value>> out;
  std::vector<Value> results(spec.aggregate_count());
  for (size_t i = 0; i < events.size(); ++i) {
    if (i == restore_at) {
      const std::string bytes = state.Snapshot();
      Result<LastWindowState> restored = LastWindowState::Restore(spec, bytes);
      EXPECT_TRUE(restored.ok()) << restored.error().ToString();
      if (!restored.ok()) return out;
      EXPECT_EQ(restored->Snapshot(), bytes);
      state = std::move(*restored);
    }
    const Status status = feeder.Feed(events[i], [&](std::span<const AggregateInput> inputs) {
      return state.OnEvent(EventTime::FromMillis(events[i].ts), inputs, results);
    });
    EXPECT_TRUE(status.ok());
    out.push_back(results);
  }
  return out;
}

std::vector<WindowResult> RunFiring(const WindowSpec& spec, const std::vector<RefEvent>& events,
                                    size_t restore_at, uint64_t seed) {
  FiringWindowState state(spec);
  InputFeeder feeder;
  std::mt19937_64 rng(seed);
  std::vector<WindowResult> fired;
  int64_t watermark = INT64_MIN;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i == restore_at) {
      const std::string bytes = state.Snapshot();
      Result<FiringWindowState> restored = FiringWindowState::Restore(spec, bytes);
      EXPECT_TRUE(restored.ok()) << restored.error().ToString();
      if (!restored.ok()) return fired;
      EXPECT_EQ(restored->Snapshot(), bytes);
      state = std::move(*restored);
    }
    const Status status = feeder.Feed(events[i], [&](std::span<const AggregateInput> inputs) {
      return state.OnEvent(EventTime::FromMillis(events[i].ts), inputs);
    });
    EXPECT_TRUE(status.ok());
    if (i + 1 < events.size() && rng() % 3 == 0) {
      watermark = testing::RandomWatermark(rng, watermark, events[i + 1].ts, spec.size().millis());
      state.AdvanceWatermark(EventTime::FromMillis(watermark), fired);
    }
  }
  state.AdvanceWatermark(EventTime::Max(), fired);
  return fired;
}

std::vector<WindowSpec> FiringSpecs() {
  return {*WindowSpec::Tumbling(Duration::Millis(1000), BroadAggregates()),
          *WindowSpec::Sliding(Duration::Millis(1000), Duration::Millis(300), BroadAggregates()),
          *WindowSpec::Session(Duration::Millis(700), BroadAggregates())};
}

TEST(WindowSnapshotTest, LastRestoredRunEqualsUninterruptedRun) {
  const WindowSpec spec = *WindowSpec::Last(Duration::Millis(2000), BroadAggregates());
  std::mt19937_64 rng(42);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const std::vector<RefEvent> events = RandomStream(spec, seed, kEvents);
    const auto uninterrupted = RunLast(spec, events, events.size());
    const size_t at = rng() % events.size();
    const auto restored = RunLast(spec, events, at);
    ASSERT_EQ(restored.size(), uninterrupted.size());
    for (size_t i = 0; i < restored.size(); ++i) {
      ASSERT_TRUE(Identical(restored[i], uninterrupted[i])) << "seed " << seed << " event " << i;
    }
  }
}

TEST(WindowSnapshotTest, FiringRestoredRunEqualsUninterruptedRun) {
  std::mt19937_64 rng(43);
  for (const WindowSpec& spec : FiringSpecs()) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const std::vector<RefEvent> events = RandomStream(spec, seed, kEvents);
      const auto uninterrupted = RunFiring(spec, events, events.size(), seed);
      const auto restored = RunFiring(spec, events, rng() % events.size(), seed);
      ASSERT_EQ(restored.size(), uninterrupted.size());
      for (size_t w = 0; w < restored.size(); ++w) {
        ASSERT_EQ(restored[w].start, uninterrupted[w].start);
        ASSERT_EQ(restored[w].end, uninterrupted[w].end);
        ASSERT_TRUE(Identical(restored[w].values, uninterrupted[w].values));
      }
    }
  }
}

// FNV-1a as the format defines it, to forge "valid" checksums over mutated bodies.
std::string WithChecksum(std::string body) {
  uint32_t hash = 2166136261u;
  for (char c : body) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((hash >> (8 * i)) & 0xff));
  return body;
}

template <typename State>
void ExpectCorruptionRefused(const WindowSpec& spec, const std::string& bytes) {
  ASSERT_TRUE(State::Restore(spec, bytes).ok());
  const size_t stride = std::max<size_t>(1, bytes.size() / 400);
  for (size_t n = 0; n < bytes.size(); n += stride) {
    EXPECT_FALSE(State::Restore(spec, bytes.substr(0, n)).ok()) << "prefix " << n;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x20);
    const auto restored = State::Restore(spec, flipped);
    ASSERT_FALSE(restored.ok()) << "flip at " << i;
    EXPECT_EQ(restored.error().code(), StatusCode::kDataLoss);
  }
  // Mutations behind a forged checksum reach the parser itself: refused or accepted,
  // never a crash (ASan/UBSan watch this run).
  std::mt19937_64 rng(7);
  const std::string body = bytes.substr(0, bytes.size() - 4);
  for (int trial = 0; trial < 1500; ++trial) {
    std::string mutated = body;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    if (rng() % 4 == 0) mutated.resize(rng() % mutated.size());
    const auto restored = State::Restore(spec, WithChecksum(mutated));
    if (restored.ok()) (void)restored->Snapshot();
  }
}

TEST(WindowSnapshotTest, LastRefusesCorruptBytes) {
  const WindowSpec spec = *WindowSpec::Last(Duration::Millis(2000), BroadAggregates());
  const std::vector<RefEvent> events = RandomStream(spec, 3, 40);
  LastWindowState state(spec);
  InputFeeder feeder;
  std::vector<Value> results(spec.aggregate_count());
  for (const RefEvent& e : events) {
    ASSERT_TRUE(feeder
                    .Feed(e,
                          [&](std::span<const AggregateInput> in) {
                            return state.OnEvent(EventTime::FromMillis(e.ts), in, results);
                          })
                    .ok());
  }
  ExpectCorruptionRefused<LastWindowState>(spec, state.Snapshot());
}

TEST(WindowSnapshotTest, FiringRefusesCorruptBytes) {
  for (const WindowSpec& spec : FiringSpecs()) {
    const std::vector<RefEvent> events = RandomStream(spec, 4, 25);
    FiringWindowState state(spec);
    InputFeeder feeder;
    for (const RefEvent& e : events) {
      ASSERT_TRUE(feeder
                      .Feed(e,
                            [&](std::span<const AggregateInput> in) {
                              return state.OnEvent(EventTime::FromMillis(e.ts), in);
                            })
                      .ok());
    }
    ExpectCorruptionRefused<FiringWindowState>(spec, state.Snapshot());
  }
}

TEST(WindowSnapshotTest, RefusesBytesOfAnotherSpec) {
  const WindowSpec spec = *WindowSpec::Last(Duration::Millis(2000), BroadAggregates());
  const WindowSpec other = *WindowSpec::Last(Duration::Millis(3000), BroadAggregates());
  const std::string bytes = LastWindowState(spec).Snapshot();
  const auto restored = LastWindowState::Restore(other, bytes);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.error().code(), StatusCode::kInvalidArgument);
  const WindowSpec tumbling = *WindowSpec::Tumbling(Duration::Millis(2000), BroadAggregates());
  EXPECT_FALSE(FiringWindowState::Restore(tumbling, bytes).ok());
}

TEST(WindowSnapshotTest, EmptyStatesRoundTrip) {
  const WindowSpec spec = *WindowSpec::Last(Duration::Millis(10), {});
  const auto restored = LastWindowState::Restore(spec, LastWindowState(spec).Snapshot());
  ASSERT_TRUE(restored.ok());
  EXPECT_TRUE(restored->empty());
}

}  // namespace
}  // namespace cep
