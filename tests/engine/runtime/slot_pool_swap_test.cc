// Hot swap (SlotPool::Swap): a new version takes over at one point of the
// stream; rules whose compiled form is unchanged keep their state, so their
// alerts are exactly those of a run without the swap.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/replay/alert_diff.h"
#include "engine/runtime/slot_pool.h"
#include "rules/compiler.h"
#include "tests/engine/runtime/slot_pool_test_input.h"

namespace engine {
namespace {

std::shared_ptr<const cep::Program> Compile(const std::string& text) {
  auto compiled = rules::CompileRuleset(text);
  EXPECT_TRUE(compiled.has_value());
  return compiled.has_value() ? compiled->program : nullptr;
}

// The pool test's ruleset with another version number, and optionally one
// rule's threshold changed.
std::string Version(int version, const std::string& from = "", const std::string& to = "") {
  std::string text = testing::kThreeKeyGroupsRules;
  const std::string header = "version 2";
  text.replace(text.find(header), header.size(), "version " + std::to_string(version));
  if (!from.empty()) text.replace(text.find(from), from.size(), to);
  return text;
}

std::vector<std::shared_ptr<const cep::Event>> Stream(const cep::Schema& schema, uint64_t seed,
                                                      size_t count) {
  std::mt19937_64 rng(seed);
  std::vector<std::shared_ptr<const cep::Event>> events;
  int64_t ts = 1'700'000'000'000;
  for (size_t i = 0; i < count; ++i) {
    ts += static_cast<int64_t>(rng() % 20'000);
    const std::string account = "a" + std::to_string(rng() % 40);
    events.push_back(testing::StreamEvent(schema, i, ts, account, rng));
  }
  return events;
}

struct SwapRun {
  std::vector<cep::v1::Alert> alerts;
  std::vector<SwapSlotResult> results;
};

// Routes `events` with an automatic watermark; before event `swap_at` (when
// `next` is set) swaps to `next`.
SwapRun RunWithSwap(std::shared_ptr<const cep::Program> first,
                    std::shared_ptr<const cep::Program> next, size_t swap_at,
                    const std::vector<std::shared_ptr<const cep::Event>>& events, uint32_t slots) {
  SwapRun run;
  std::mutex results_mutex;
  SlotPool pool(std::move(first), {.slots = slots, .queue_capacity = 64});
  std::thread collector([&] {
    SlotPool::Output out;
    for (;;) {
      pool.Collect(out, std::chrono::milliseconds(50));
      for (auto& alert : out.alerts) run.alerts.push_back(std::move(alert));
      out.alerts.clear();
      if (out.finished) break;
    }
  });
  cep::EventTime max_ts = cep::EventTime::Min();
  for (size_t i = 0; i < events.size(); ++i) {
    if (next != nullptr && i == swap_at) {
      pool.Swap(next, [&](uint32_t, SwapSlotResult result) {
        std::lock_guard lock(results_mutex);
        run.results.push_back(std::move(result));
      });
    }
    pool.Route(events[i]);
    if (events[i]->ts() > max_ts) {
      max_ts = events[i]->ts();
      pool.AdvanceWatermark(max_ts - cep::Duration::Seconds(30) - cep::Duration::Millis(1));
    }
  }
  pool.Finish();
  collector.join();
  return run;
}

// Alerts of each rule by what they say (not their id, which hashes the version).
std::map<std::string, std::multiset<std::string>> ByRule(const std::vector<cep::v1::Alert>& alerts) {
  std::map<std::string, std::multiset<std::string>> out;
  for (const auto& alert : alerts) out[alert.rule()].insert(AlertSignature(alert));
  return out;
}

TEST(SlotPoolSwapTest, UnchangedRulesRaiseExactlyTheAlertsOfARunWithoutTheSwap) {
  const auto v2 = Compile(Version(2));
  const auto v3 = Compile(Version(3, "when sum(amount) > 1000", "when sum(amount) > 1500"));
  const auto events = Stream(*v2->schema, 5, 6'000);
  for (uint32_t slots : {1u, 3u}) {
    const SwapRun plain = RunWithSwap(v2, nullptr, 0, events, slots);
    const SwapRun swapped = RunWithSwap(v2, v3, 3'000, events, slots);
    const auto before = ByRule(plain.alerts);
    const auto after = ByRule(swapped.alerts);
    for (const char* rule : {"small_then_large", "device_accounts", "everyone_busy"}) {
      ASSERT_TRUE(before.count(rule)) << rule << " must fire in this stream";
      EXPECT_EQ(after.at(rule), before.at(rule)) << rule << ", " << slots << " slot(s)";
    }
    // The changed rule started empty and fires less with its higher threshold.
    EXPECT_LT(after.at("hourly_total").size(), before.at("hourly_total").size());
    ASSERT_EQ(swapped.results.size(), slots) << "each slot reports its swap once";
    uint64_t kept = 0;
    for (const SwapSlotResult& r : swapped.results) {
      kept += r.keys_kept;
      EXPECT_TRUE(r.failures.empty());
    }
    EXPECT_GT(kept, 0u);
    // Alerts raised after the swap carry the new version.
    const bool any_v3 = std::any_of(swapped.alerts.begin(), swapped.alerts.end(),
                                    [](const cep::v1::Alert& a) { return a.version() == 3; });
    EXPECT_TRUE(any_v3);
  }
}

TEST(SlotPoolSwapTest, ASwapToAnEqualVersionChangesNoAlert) {
  const auto v2 = Compile(Version(2));
  const auto v4 = Compile(Version(4));
  const auto events = Stream(*v2->schema, 9, 4'000);
  const SwapRun plain = RunWithSwap(v2, nullptr, 0, events, 2);
  const SwapRun swapped = RunWithSwap(v2, v4, 1'234, events, 2);
  EXPECT_EQ(ByRule(swapped.alerts), ByRule(plain.alerts));
}

TEST(SlotPoolSwapTest, ARemovedRuleStopsAndANewRuleStartsEmpty) {
  const auto v2 = Compile(Version(2));
  const auto v5 = Compile(Version(5, "rule everyone_busy", "rule everyone_busier"));
  const auto events = Stream(*v2->schema, 13, 4'000);
  const SwapRun plain = RunWithSwap(v2, nullptr, 0, events, 2);
  const SwapRun swapped = RunWithSwap(v2, v5, 2'000, events, 2);
  const auto before = ByRule(plain.alerts);
  const auto after = ByRule(swapped.alerts);
  EXPECT_EQ(after.at("small_then_large"), before.at("small_then_large"));
  // The old rule's alerts stop at the swap; the new one's begin there.
  for (const auto& alert : swapped.alerts) {
    if (alert.rule() == "everyone_busy") {
      EXPECT_EQ(alert.version(), 2u);
    }
    if (alert.rule() == "everyone_busier") {
      EXPECT_EQ(alert.version(), 5u);
    }
  }
  EXPECT_LT(after.at("everyone_busy").size(), before.at("everyone_busy").size());
  EXPECT_GT(after.count("everyone_busier"), 0u);
}

TEST(SlotPoolSwapTest, VisitReachesEverySlotAfterWhatWasRouted) {
  const auto v2 = Compile(Version(2));
  const auto events = Stream(*v2->schema, 3, 500);
  SlotPool pool(v2, {.slots = 3, .queue_capacity = 64});
  for (const auto& event : events) pool.Route(event);
  pool.AdvanceWatermark(events.back()->ts());  // events wait for it before they make state
  std::atomic<int> visited{0};
  std::atomic<size_t> keys{0};
  std::mutex mutex;
  std::condition_variable done;
  pool.Visit([&](uint32_t, const std::vector<KeyGroup>& groups, const SlotRunners& runners) {
    EXPECT_EQ(groups.size(), runners.size());
    for (const auto& runner : runners) keys += runner->key_count();
    std::lock_guard lock(mutex);
    ++visited;
    done.notify_all();
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(done.wait_for(lock, std::chrono::seconds(30), [&] { return visited == 3; }));
  }
  EXPECT_GT(keys.load(), 40u);  // every account's state exists by now
  pool.Stop();
}

}  // namespace
}  // namespace engine
