#include "engine/replay/alert_diff.h"

#include <gtest/gtest.h>

namespace engine {
namespace {

cep::v1::Alert Make(const std::string& ruleset, const std::string& rule, const std::string& key,
                    int64_t ts, const std::string& event) {
  cep::v1::Alert alert;
  alert.set_ruleset(ruleset);
  alert.set_version(ruleset == "a" ? 1 : 2);
  alert.set_alert_id(ruleset + rule + key + std::to_string(ts));  // differs between rulesets
  alert.set_rule(rule);
  alert.set_key(key);
  alert.set_ts_ms(ts);
  alert.set_event(event);
  auto* stage = alert.add_stages();
  stage->set_name("s");
  stage->add_event_ids(event);
  return alert;
}

TEST(AlertDiffTest, MatchesAlertsByWhatTheySayPerRule) {
  const std::vector<cep::v1::Alert> a = {Make("a", "r1", "k1", 10, "e1"), Make("a", "r1", "k2", 20, "e2"),
                                         Make("a", "r2", "k1", 30, "e3")};
  const std::vector<cep::v1::Alert> b = {Make("b", "r1", "k1", 10, "e1"), Make("b", "r1", "k3", 40, "e4"),
                                         Make("b", "r3", "k9", 50, "e5")};
  const AlertDiff diff = DiffAlerts(a, b);
  EXPECT_EQ(diff.both, 1u);
  EXPECT_EQ(diff.added, 2u);
  EXPECT_EQ(diff.removed, 2u);
  ASSERT_EQ(diff.rules.size(), 3u);  // r1, r2, r3: rules of either side
  EXPECT_EQ(diff.rules[0].rule, "r1");
  EXPECT_EQ(diff.rules[0].alerts_a, 2u);
  EXPECT_EQ(diff.rules[0].alerts_b, 2u);
  EXPECT_EQ(diff.rules[0].both, 1u);
  EXPECT_EQ(diff.rules[0].added_keys, std::vector<std::string>{"k3"});
  EXPECT_EQ(diff.rules[0].removed_keys, std::vector<std::string>{"k2"});
  EXPECT_EQ(diff.rules[1].removed, 1u);  // r2 gone in b
  EXPECT_EQ(diff.rules[2].added, 1u);    // r3 new in b
}

TEST(AlertDiffTest, SameKeyAndTimeButOtherEventsDiffer) {
  const AlertDiff diff = DiffAlerts({Make("a", "r", "k", 10, "e1")}, {Make("b", "r", "k", 10, "e2")});
  EXPECT_EQ(diff.both, 0u);
  EXPECT_EQ(diff.added, 1u);
  EXPECT_EQ(diff.removed, 1u);
}

TEST(AlertDiffTest, CountsRepeatsAndCapsTheExamples) {
  std::vector<cep::v1::Alert> a, b;
  for (int i = 0; i < 3; ++i) a.push_back(Make("a", "r", "k", 10, "e"));  // the same alert 3 times
  b.push_back(Make("b", "r", "k", 10, "e"));
  for (int i = 0; i < 9; ++i) b.push_back(Make("b", "r", "n" + std::to_string(i), 100 + i, "x"));
  const AlertDiff diff = DiffAlerts(a, b, /*examples=*/4);
  EXPECT_EQ(diff.both, 1u);
  EXPECT_EQ(diff.removed, 2u);
  EXPECT_EQ(diff.added, 9u);
  EXPECT_EQ(diff.rules[0].added_keys.size(), 4u);
  EXPECT_TRUE(DiffAlerts({}, {}).rules.empty());
}

}  // namespace
}  // namespace engine
