#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/replay/label_scorer.h"

namespace engine {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

cep::v1::Alert AlertAt(const std::string& rule, const std::string& key, int64_t ts) {
  cep::v1::Alert alert;
  alert.set_rule(rule);
  alert.set_key(key);
  alert.set_ts_ms(ts);
  return alert;
}

using Keys = std::vector<std::optional<std::string>>;

LabelScorer OneGroup() {
  LabelScorer::Options options;
  options.key_groups = {"account_id"};
  options.rules["a"] = {0, std::nullopt};
  options.rules["b"] = {0, std::nullopt};
  return LabelScorer(options);
}

// Keys k0..k9 each have one fraud at 0 and are detected after the given delay;
// bucket bounds are inclusive (exactly 1 min is in the first bucket).
TEST(LabelScorerHistogramTest, CountsDetectedKeysPerDelayBucket) {
  LabelScorer scorer = OneGroup();
  const std::vector<int64_t> delays = {0,         kMin,      kMin + 1,  30 * kMin, 5 * kHour,
                                       20 * kHour, 2 * kDay, 29 * kDay, 40 * kDay, 1 * kMin};
  for (size_t i = 0; i < delays.size(); ++i) {
    const std::string key = "k" + std::to_string(i);
    scorer.ObserveEvent("f" + std::to_string(i), true, 0, Keys{key});
    scorer.ObserveAlert(AlertAt("a", key, delays[i]));
  }
  scorer.ObserveEvent("f_missed", true, 0, Keys{std::string("missed")});
  scorer.Finish();
  const auto& ttd = scorer.overall().time_to_detect;
  EXPECT_EQ(ttd.keys_with_fraud, 11u);
  EXPECT_EQ(ttd.keys_detected, 10u);
  //                      1m 10m 1h 6h 1d 3d 7d 14d 28d rest
  const std::array<uint64_t, 10> expected = {3, 1, 1, 1, 1, 1, 0, 0, 0, 2};
  EXPECT_EQ(ttd.histogram, expected);
  EXPECT_EQ(scorer.by_rule().at("a").time_to_detect.histogram, expected);
}

TEST(LabelScorerHistogramTest, EmptyWithoutDetections) {
  LabelScorer scorer = OneGroup();
  scorer.ObserveEvent("f", true, 0, Keys{std::string("k")});
  scorer.Finish();
  const std::array<uint64_t, 10> none = {};
  EXPECT_EQ(scorer.overall().time_to_detect.histogram, none);
}

// ClearAlerts keeps the events: scoring a second alert set gives what a fresh
// scorer that saw the same events and only those alerts gives.
TEST(LabelScorerHistogramTest, ClearAlertsScoresAnotherAlertSetOverTheSameEvents) {
  auto observe_events = [](LabelScorer& scorer) {
    scorer.ObserveEvent("f1", true, 0, Keys{std::string("k1")});
    scorer.ObserveEvent("f2", true, 10, Keys{std::string("k2")});
    scorer.ObserveEvent("g1", false, 20);
  };
  cep::v1::Alert on_f2 = AlertAt("b", "k2", 5 * kDay);
  on_f2.set_event("f2");
  cep::v1::Alert on_g1 = AlertAt("b", "k1", 20);
  on_g1.set_event("g1");
  LabelScorer reused = OneGroup();
  observe_events(reused);
  cep::v1::Alert on_f1 = AlertAt("a", "k1", kMin);
  on_f1.set_event("f1");
  reused.ObserveAlert(on_f1);
  reused.Finish();
  EXPECT_EQ(reused.overall().fraud_events_caught, 1u);
  reused.ClearAlerts();
  reused.ObserveAlert(on_f2);
  reused.ObserveAlert(on_g1);
  reused.Finish();

  LabelScorer fresh = OneGroup();
  observe_events(fresh);
  fresh.ObserveAlert(on_f2);
  fresh.ObserveAlert(on_g1);
  fresh.Finish();
  for (const LabelScorer* s : {&reused, &fresh}) {
    EXPECT_EQ(s->overall().alerts, 2u);
    EXPECT_EQ(s->overall().true_positives, 1u);
    EXPECT_EQ(s->overall().false_positives, 1u);
    EXPECT_EQ(s->overall().fraud_events_caught, 1u);
    EXPECT_EQ(s->by_rule().count("a"), 0u);
    EXPECT_EQ(s->by_rule().at("b").caught_alone, 1u);
    EXPECT_EQ(s->overall().time_to_detect.keys_detected, 2u);
    EXPECT_EQ(s->overall().time_to_detect.median_ms, 20);  // k1 after 20 ms, k2 after 5 d
  }
  EXPECT_EQ(reused.overall().time_to_detect.histogram, fresh.overall().time_to_detect.histogram);
  EXPECT_EQ(reused.overall().time_to_detect.p90_ms, fresh.overall().time_to_detect.p90_ms);
}

}  // namespace
}  // namespace engine
