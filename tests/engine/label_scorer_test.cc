#include "engine/replay/label_scorer.h"

#include <gtest/gtest.h>

namespace engine {
namespace {

cep::v1::Alert AlertOn(const std::string& rule, const std::string& event) {
  cep::v1::Alert alert;
  alert.set_rule(rule);
  if (!event.empty()) alert.set_event(event);
  return alert;
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

}  // namespace
}  // namespace engine
