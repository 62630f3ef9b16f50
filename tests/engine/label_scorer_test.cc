#include "engine/replay/label_scorer.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace engine {
namespace {

cep::v1::Alert AlertOn(const std::string& rule, const std::string& event) {
  cep::v1::Alert alert;
  alert.set_rule(rule);
  if (!event.empty()) alert.set_event(event);
  return alert;
}

cep::v1::Alert AlertAt(const std::string& rule, const std::string& key, int64_t ts,
                       const std::string& event = "",
                       std::vector<std::string> stage_events = {}) {
  cep::v1::Alert alert = AlertOn(rule, event);
  alert.set_key(key);
  alert.set_ts_ms(ts);
  if (!stage_events.empty()) {
    auto* stage = alert.add_stages();
    stage->set_name("s");
    for (auto& id : stage_events) stage->add_event_ids(id);
  }
  return alert;
}

using Keys = std::vector<std::optional<std::string>>;

// Two key groups: 0 = account, 1 = terminal. Rules a, b key by account; t by terminal.
LabelScorer::Options TwoGroups(LabelScorer::Scope scope = LabelScorer::Scope::kTransaction) {
  LabelScorer::Options options;
  options.scope = scope;
  options.key_groups = {"account_id", "terminal_id"};
  options.rules["a"] = {0, std::nullopt};
  options.rules["b"] = {0, 10'000};
  options.rules["t"] = {1, 60'000};
  return options;
}

void Observe(LabelScorer& scorer, const std::string& id, bool fraud, int64_t ts,
             const std::string& account, const std::string& terminal) {
  const Keys keys = {account, terminal};
  scorer.ObserveEvent(id, fraud, ts, keys);
}

TEST(LabelScorerTest, CountsTransactionLevelOutcomes) {
  LabelScorer scorer;
  scorer.ObserveEvent("f1", true);
  scorer.ObserveEvent("f2", true);
  scorer.ObserveEvent("f3", true);
  scorer.ObserveEvent("g1", false);
  scorer.ObserveAlert(AlertOn("a", "f1"));
  scorer.ObserveAlert(AlertOn("a", "f1"));  // the same fraud twice: caught once
  scorer.ObserveAlert(AlertOn("a", "g1"));
  scorer.ObserveAlert(AlertOn("a", ""));    // fired by the watermark: unscored
  scorer.ObserveAlert(AlertOn("b", "f2"));
  scorer.ObserveAlert(AlertOn("b", "x9"));  // no label: unscored
  EXPECT_EQ(scorer.fraud_events(), 3u);
  const auto& a = scorer.by_rule().at("a");
  EXPECT_EQ(a.alerts, 4u);
  EXPECT_EQ(a.true_positives, 2u);
  EXPECT_EQ(a.false_positives, 1u);
  EXPECT_EQ(a.unscored, 1u);
  EXPECT_DOUBLE_EQ(a.precision(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(a.recall(scorer.fraud_events()), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(a.f1(scorer.fraud_events()), 2 * (2.0 / 3) * (1.0 / 3) / (2.0 / 3 + 1.0 / 3));
  const auto& overall = scorer.overall();
  EXPECT_EQ(overall.fraud_events_caught, 2u);  // f1 by a, f2 by b
  EXPECT_DOUBLE_EQ(overall.recall(scorer.fraud_events()), 2.0 / 3.0);
}

TEST(LabelScorerTest, EmptyAndUnlabelledInputsGiveZerosNotNaNs) {
  LabelScorer scorer;
  EXPECT_EQ(scorer.overall().precision(), 0.0);
  EXPECT_EQ(scorer.overall().recall(scorer.fraud_events()), 0.0);
  EXPECT_EQ(scorer.overall().f1(scorer.fraud_events()), 0.0);
  scorer.ObserveAlert(AlertOn("a", "unknown"));
  EXPECT_EQ(scorer.overall().unscored, 1u);
  EXPECT_EQ(scorer.overall().precision(), 0.0);
}

TEST(LabelScorerTest, TimeToDetectFromFirstFraudToFirstAlertAtOrAfterIt) {
  LabelScorer scorer(TwoGroups());
  Observe(scorer, "g0", false, 500, "A1", "T1");
  Observe(scorer, "f1", true, 1'000, "A1", "T1");
  Observe(scorer, "f2", true, 2'000, "A1", "T2");
  Observe(scorer, "f3", true, 5'000, "A2", "T2");
  Observe(scorer, "f4", true, 9'000, "A3", "T1");
  Observe(scorer, "g1", false, 10'000, "A4", "T1");
  // Alerts in any order (scored after the run).
  scorer.ObserveAlert(AlertAt("a", "A1", 3'000, "g1"));
  scorer.ObserveAlert(AlertAt("a", "A1", 2'000, "f2"));  // A1: 2000 - 1000
  scorer.ObserveAlert(AlertAt("a", "A1", 800, "g0"));    // before the first fraud: ignored
  scorer.ObserveAlert(AlertAt("b", "A2", 5'000, "f3"));  // A2: tie, 0 ms
  scorer.ObserveAlert(AlertAt("b", "A1", 7'000, "g1"));  // A1: 6000 ms for b
  scorer.ObserveAlert(AlertAt("a", "A4", 10'000, "g1"));  // no fraud on A4
  scorer.ObserveAlert(AlertAt("t", "T1", 4'000, "g1"));   // T1 first fraud 1000: 3000
  scorer.Finish();
  const auto& a = scorer.by_rule().at("a").time_to_detect;
  EXPECT_EQ(a.keys_with_fraud, 3u);  // A1, A2, A3
  EXPECT_EQ(a.keys_detected, 1u);
  EXPECT_EQ(a.median_ms, 1'000);
  EXPECT_EQ(a.p90_ms, 1'000);
  const auto& b = scorer.by_rule().at("b").time_to_detect;
  EXPECT_EQ(b.keys_detected, 2u);
  EXPECT_EQ(b.median_ms, 0);  // nearest rank of {0, 6000}
  EXPECT_EQ(b.p90_ms, 6'000);
  const auto& t = scorer.by_rule().at("t").time_to_detect;
  EXPECT_EQ(t.keys_with_fraud, 2u);  // T1, T2
  EXPECT_EQ(t.keys_detected, 1u);
  EXPECT_EQ(t.median_ms, 3'000);
  // Overall per group: accounts A1 (first alert of any rule at 2000: 1000 ms), A2 (0).
  const auto& by_group = scorer.time_to_detect_by_group();
  ASSERT_EQ(by_group.size(), 2u);
  EXPECT_EQ(by_group[0].keys_with_fraud, 3u);
  EXPECT_EQ(by_group[0].keys_detected, 2u);
  EXPECT_EQ(by_group[0].median_ms, 0);
  EXPECT_EQ(by_group[0].p90_ms, 1'000);
  EXPECT_EQ(by_group[1].keys_detected, 1u);
  // Overall over both groups: {0, 1000, 3000} of 5 keys.
  const auto& overall = scorer.overall().time_to_detect;
  EXPECT_EQ(overall.keys_with_fraud, 5u);
  EXPECT_EQ(overall.keys_detected, 3u);
  EXPECT_EQ(overall.median_ms, 1'000);
  EXPECT_EQ(overall.p90_ms, 3'000);
}

TEST(LabelScorerTest, CaughtAloneCountsFraudsNoOtherRuleCaught) {
  LabelScorer scorer(TwoGroups());
  Observe(scorer, "f1", true, 1, "A1", "T1");
  Observe(scorer, "f2", true, 2, "A1", "T1");
  Observe(scorer, "f3", true, 3, "A2", "T1");
  scorer.ObserveAlert(AlertAt("a", "A1", 1, "f1"));
  scorer.ObserveAlert(AlertAt("a", "A1", 2, "f2"));
  scorer.ObserveAlert(AlertAt("a", "A1", 2, "f2"));
  scorer.ObserveAlert(AlertAt("b", "A1", 2, "f2"));
  scorer.ObserveAlert(AlertAt("t", "T1", 3, "f3"));
  scorer.Finish();
  scorer.Finish();  // idempotent
  EXPECT_EQ(scorer.by_rule().at("a").caught_alone, 1u);  // f1
  EXPECT_EQ(scorer.by_rule().at("b").caught_alone, 0u);  // f2 also by a
  EXPECT_EQ(scorer.by_rule().at("t").caught_alone, 1u);  // f3
  EXPECT_EQ(scorer.overall().fraud_events_caught, 3u);
}

TEST(LabelScorerTest, KeyScopeLooksForFraudOfTheKeyInTheAlertSpan) {
  LabelScorer scorer(TwoGroups(LabelScorer::Scope::kKey));
  Observe(scorer, "g1", false, 1'000, "A1", "T1");
  Observe(scorer, "f1", true, 2'000, "A1", "T1");
  Observe(scorer, "g2", false, 3'000, "A1", "T1");
  Observe(scorer, "g3", false, 20'000, "A1", "T1");
  Observe(scorer, "f2", true, 30'000, "A2", "T1");
  // Pattern alert with stages g1..g2: span [1000, 3000] holds f1.
  scorer.ObserveAlert(AlertAt("a", "A1", 3'000, "g2", {"g1", "g2"}));
  // Stages from 3000: f1 (2000) is before the span.
  scorer.ObserveAlert(AlertAt("a", "A1", 20'000, "g3", {"g2", "g3"}));
  // No stages: b looks back 10 s: [10000, 20000] misses f1; [-8000, 2000] includes it (closed).
  scorer.ObserveAlert(AlertAt("b", "A1", 20'000, ""));
  scorer.ObserveAlert(AlertAt("b", "A1", 2'000, ""));
  // Rule t: window of 60 s on T1 at 30000 holds f1 and f2.
  scorer.ObserveAlert(AlertAt("t", "T1", 30'000, ""));
  // Unlabelled completing event without fraud in span: unscored.
  scorer.ObserveAlert(AlertAt("a", "A9", 5'000, "x9", {"x9"}));
  scorer.Finish();
  const auto& a = scorer.by_rule().at("a");
  EXPECT_EQ(a.true_positives, 1u);
  EXPECT_EQ(a.false_positives, 1u);
  EXPECT_EQ(a.unscored, 1u);
  EXPECT_EQ(a.fraud_events_caught, 1u);
  const auto& b = scorer.by_rule().at("b");
  EXPECT_EQ(b.true_positives, 1u);
  EXPECT_EQ(b.false_positives, 1u);
  const auto& t = scorer.by_rule().at("t");
  EXPECT_EQ(t.true_positives, 1u);
  EXPECT_EQ(t.fraud_events_caught, 2u);
  EXPECT_EQ(t.caught_alone, 1u);  // f2; f1 also by a and b
  EXPECT_EQ(scorer.overall().fraud_events_caught, 2u);
  EXPECT_DOUBLE_EQ(scorer.overall().recall(scorer.fraud_events()), 1.0);
}

TEST(LabelScorerTest, AllFraudAndNoLabelsAndNoKeys) {
  {
    LabelScorer scorer(TwoGroups());
    Observe(scorer, "f1", true, 0, "A1", "T1");
    Observe(scorer, "f2", true, 0, "A1", "T1");
    scorer.ObserveAlert(AlertAt("a", "A1", 0, "f1"));
    scorer.ObserveAlert(AlertAt("a", "A1", 0, "f2"));
    scorer.Finish();
    EXPECT_DOUBLE_EQ(scorer.overall().precision(), 1.0);
    EXPECT_DOUBLE_EQ(scorer.overall().recall(scorer.fraud_events()), 1.0);
    EXPECT_EQ(scorer.overall().time_to_detect.keys_detected, 1u);
    EXPECT_EQ(scorer.overall().time_to_detect.median_ms, 0);
  }
  {
    LabelScorer scorer(TwoGroups());
    scorer.ObserveAlert(AlertAt("a", "A1", 0, "x"));
    scorer.Finish();
    EXPECT_EQ(scorer.overall().time_to_detect.keys_with_fraud, 0u);
    EXPECT_EQ(scorer.overall().time_to_detect.median_ms, 0);
    EXPECT_EQ(scorer.by_rule().at("a").caught_alone, 0u);
  }
  {
    LabelScorer scorer;  // no key data: time-to-detect stays empty
    scorer.ObserveEvent("f1", true);
    scorer.ObserveAlert(AlertOn("a", "f1"));
    scorer.Finish();
    EXPECT_EQ(scorer.by_rule().at("a").caught_alone, 1u);
    EXPECT_EQ(scorer.overall().time_to_detect.keys_with_fraud, 0u);
  }
}

TEST(LabelScorerTest, DaysAreUtcCalendarDays) {
  EXPECT_EQ(LabelScorer::DayOf(0), 0);
  EXPECT_EQ(LabelScorer::DayOf(86'399'999), 0);
  EXPECT_EQ(LabelScorer::DayOf(86'400'000), 1);
  EXPECT_EQ(LabelScorer::DayOf(-1), -1);
  EXPECT_EQ(LabelScorer::DayText(0), "1970-01-01");
  EXPECT_EQ(LabelScorer::DayText(LabelScorer::DayOf(1'522'540'800'000)), "2018-04-01");
  EXPECT_EQ(LabelScorer::DayText(-1), "1969-12-31");
}

}  // namespace
}  // namespace engine
