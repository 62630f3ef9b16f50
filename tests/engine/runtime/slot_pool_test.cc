#include "engine/runtime/slot_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/proto/alert.pb.h"
#include "engine/sink/alert_factory.h"
#include "engine/sink/ordered_alert_writer.h"
#include "rules/compiler.h"
#include "tests/engine/runtime/slot_pool_test_input.h"

namespace engine {
namespace {

constexpr const char* kRules = testing::kThreeKeyGroupsRules;

class SlotPoolTest : public ::testing::Test {
 protected:
  SlotPoolTest() {
    auto compiled = rules::CompileRuleset(kRules);
    EXPECT_TRUE(compiled.has_value());
    program_ = compiled->program;
  }

  // A seeded stream over 40 accounts and 12 devices, ts mostly increasing with
  // a little disorder (some events arrive late).
  std::vector<std::shared_ptr<const cep::Event>> Stream(uint64_t seed, size_t count) {
    std::mt19937_64 rng(seed);
    const cep::Schema& schema = *program_->schema;
    std::vector<std::shared_ptr<const cep::Event>> events;
    int64_t ts = 1'700'000'000'000;
    for (size_t i = 0; i < count; ++i) {
      ts += static_cast<int64_t>(rng() % 20'000);
      const int64_t jitter = rng() % 10 == 0 ? static_cast<int64_t>(rng() % 90'000) : 0;
      const std::string account = "a" + std::to_string(rng() % 40);
      events.push_back(testing::StreamEvent(schema, i, ts - jitter, account, rng));
    }
    return events;
  }

  struct Run {
    std::vector<std::string> alerts;  // serialized, in written order
    cep::RunnerStats stats;
    uint64_t late = 0;
  };

  // What `cep replay` does: route, automatic watermark, ordered writer fed by a
  // collector thread.
  Run RunPool(const std::vector<std::shared_ptr<const cep::Event>>& events, uint32_t slots,
              size_t capacity = 64) {
    Run run;
    OrderedAlertWriter writer(
        [&](const cep::v1::Alert& alert) { run.alerts.push_back(alert.SerializeAsString()); });
    SlotPool pool(program_, {.slots = slots, .queue_capacity = capacity});
    std::thread collector([&] {
      SlotPool::Output out;
      for (;;) {
        pool.Collect(out, std::chrono::milliseconds(50));
        for (auto& alert : out.alerts) writer.Add(std::move(alert));
        out.alerts.clear();
        if (out.finished) break;
        writer.AdvanceTo(out.done - pool.ordering_holdback());
      }
      writer.Flush();
    });
    cep::EventTime max_ts = cep::EventTime::Min();
    for (const auto& event : events) {
      pool.Route(event);
      if (event->ts() > max_ts) {
        max_ts = event->ts();
        pool.AdvanceWatermark(max_ts - cep::Duration::Seconds(30) - cep::Duration::Millis(1));
      }
    }
    pool.Finish();
    collector.join();
    run.stats = pool.stats();
    run.late = pool.late_events();
    return run;
  }

  // The reference: one RulesetRunner over the whole ruleset, alerts sorted.
  std::vector<std::string> RunSingle(const std::vector<std::shared_ptr<const cep::Event>>& events) {
    cep::RulesetRunner runner(program_);
    std::vector<cep::RuleAlert> raised;
    std::vector<cep::v1::Alert> alerts;
    auto advance = [&](cep::EventTime w) {
      runner.AdvanceWatermark(w, raised);
      for (const auto& a : raised) alerts.push_back(MakeWireAlert(*program_, a));
      raised.clear();
    };
    cep::EventTime max_ts = cep::EventTime::Min();
    for (const auto& event : events) {
      runner.OnEvent(event);
      if (event->ts() > max_ts) {
        max_ts = event->ts();
        advance(max_ts - cep::Duration::Seconds(30) - cep::Duration::Millis(1));
      }
    }
    advance(cep::EventTime::Max());
    std::vector<std::string> out;
    OrderedAlertWriter writer([&](const cep::v1::Alert& a) { out.push_back(a.SerializeAsString()); });
    for (auto& a : alerts) writer.Add(std::move(a));
    writer.Flush();
    return out;
  }

  std::shared_ptr<const cep::Program> program_;
};

TEST_F(SlotPoolTest, SplitsRulesByKeyFieldList) {
  const std::vector<KeyGroup> groups = SplitByKey(*program_);
  ASSERT_EQ(groups.size(), 3u);  // account (rules 0 and 2), device (1), none (3)
  EXPECT_EQ(groups[0].rule_index, (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(groups[1].rule_index, (std::vector<uint32_t>{1}));
  EXPECT_EQ(groups[2].rule_index, (std::vector<uint32_t>{3}));
  EXPECT_EQ(groups[0].program->rules[1].name, "hourly_total");
  EXPECT_TRUE(groups[2].key_slots.empty());
}

TEST_F(SlotPoolTest, OutputIsIdenticalForAnySlotCountAndEqualsOneRunner) {
  const auto events = Stream(7, 6'000);
  const std::vector<std::string> reference = RunSingle(events);
  ASSERT_GT(reference.size(), 50u) << "the stream must make every kind of rule fire";
  for (uint32_t slots : {1u, 2u, 3u, 5u}) {
    const Run run = RunPool(events, slots);
    EXPECT_EQ(run.alerts, reference) << slots << " slots";
    EXPECT_GT(run.late, 0u);
  }
}

TEST_F(SlotPoolTest, StatsAreMergedByRulesetRuleIndex) {
  const auto events = Stream(11, 3'000);
  const Run one = RunPool(events, 1);
  const Run four = RunPool(events, 4);
  ASSERT_EQ(one.stats.rules.size(), 4u);
  EXPECT_EQ(one.stats.events, events.size());
  EXPECT_EQ(four.stats.events, events.size());
  EXPECT_EQ(one.late, four.late);
  for (size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(one.stats.rules[r].evaluated, four.stats.rules[r].evaluated) << r;
    EXPECT_EQ(one.stats.rules[r].alerts, four.stats.rules[r].alerts) << r;
    EXPECT_EQ(one.stats.rules[r].suppressed, four.stats.rules[r].suppressed) << r;
  }
  EXPECT_LT(one.stats.rules[1].evaluated, events.size()) << "events without a device are filtered";
}

TEST_F(SlotPoolTest, SkipStrategiesMakeTheOrderingHoldbackTheirWithinPlusLateAcceptance) {
  SlotPool pool(program_, {.slots = 2, .queue_capacity = 16});
  EXPECT_EQ(pool.ordering_holdback(), cep::Duration::Minutes(11));
  pool.Finish();
}

TEST_F(SlotPoolTest, ATinyQueueStillDeliversEverything) {
  const auto events = Stream(3, 2'000);
  EXPECT_EQ(RunPool(events, 3, 2).alerts, RunSingle(events));
}

}  // namespace
}  // namespace engine

namespace engine {
namespace {

TEST(SlotPoolBackpressureTest, ASlowCollectorStallsTheRouterAndBoundsPendingAlerts) {
  auto compiled = rules::CompileRuleset(R"(
ruleset every version 1
schema transaction
rule every_event {
  key account_id
  window last 1h
  when count() >= 1
}
)");
  ASSERT_TRUE(compiled.has_value());
  const auto program = compiled->program;
  SlotPoolOptions options;
  options.slots = 1;
  options.queue_capacity = 4;
  options.max_pending_alerts = 8;
  SlotPool pool(program, options);

  constexpr int kEvents = 500;
  std::atomic<bool> release{false};
  std::atomic<size_t> collected{0};
  std::thread collector([&] {
    release.wait(false);  // the sink is stuck until the test lets it go
    SlotPool::Output out;
    for (;;) {
      pool.Collect(out, std::chrono::milliseconds(20));
      collected += out.alerts.size();
      out.alerts.clear();
      if (out.finished) break;
    }
  });
  std::atomic<int> routed{0};
  std::thread router([&] {
    const cep::SlotIndex account = *program->schema->Find("account_id");
    for (int i = 0; i < kEvents; ++i) {
      cep::EventBuilder b(program->schema->size());
      b.SetTs(cep::EventTime::FromMillis(1'000 + i)).SetSeq(static_cast<uint64_t>(i)).SetId("e" + std::to_string(i));
      b.Set(account, cep::Value::String("a" + std::to_string(i % 7)));
      pool.Route(std::make_shared<const cep::Event>(b.Build()));
      pool.AdvanceWatermark(cep::EventTime::FromMillis(1'000 + i));
      ++routed;
    }
    pool.Finish();
  });
  // With the sink stuck, the slot stops at its alert limit, its queue fills and
  // the router blocks: routing stalls far short of the input.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((pool.sink_waits() == 0 || pool.queue_depth(0) < 4) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_GT(pool.sink_waits(), 0u) << "the slot should be waiting for the stuck sink";
  ASSERT_EQ(pool.queue_depth(0), 4u) << "the router should have filled the stalled slot's queue";
  // The slot took at most its limit plus one batch; the router at most one
  // more queue's worth and the event in its hand.
  EXPECT_LE(routed.load(), 8 + 4 + 4 + 1) << "routing should be held back by the stuck sink";
  release = true;
  release.notify_all();
  router.join();
  collector.join();
  EXPECT_EQ(collected.load(), static_cast<size_t>(kEvents));
  EXPECT_LE(pool.max_pending_alerts_seen(), 8u + 4u) << "the limit plus one queue's worth";
  EXPECT_GT(pool.backpressure_waits(), 0u);
}

}  // namespace
}  // namespace engine
