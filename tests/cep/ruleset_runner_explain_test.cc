// RulesetRunner::Explain (issue #6, `GET /v1/keys/{key}/state`): a key's partial
// matches and window aggregates per rule, read without changing matching.
#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "cep/ruleset_runner.h"
#include "rules/compiler.h"

namespace cep {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
// An hour boundary, so tumbling and sliding windows start at round times.
constexpr int64_t kT = 480'000 * kHour;

constexpr char kRules[] = R"(ruleset explain version 1
schema transaction

rule three_steps {
  key account_id
  pattern
    begin small where amount < 5.00
    followed_by medium where amount >= 5.00 and amount < 100.00
    followed_by large where amount > 500.00 and mcc == 7995
    within 10m
}

rule last_30m {
  key account_id
  where kind == "purchase"
  window last 30m
  when count() >= 3 and sum(amount) > 50.00
  suppress 15m
}

rule hourly {
  key account_id
  where kind == "transfer"
  window tumbling 1h
  when count() >= 3
}

rule hopping {
  key account_id
  where kind == "transfer"
  window sliding 30m every 10m
  when sum(amount) > 100.00
}

rule sessions {
  key account_id
  where kind == "transfer"
  window session gap 15m
  when count() >= 4
}

rule login_then_buy {
  key account_id, card_id
  pattern
    begin login where kind == "login"
    followed_by buy where kind == "purchase" and amount > 200.00
    within 5m
}

rule refunds_anywhere {
  key none
  pattern
    begin first where kind == "refund"
    followed_by second where kind == "refund"
    within 1m
}
)";

std::shared_ptr<const Program> Compile(const std::string& text) {
  auto compiled = rules::CompileRuleset(text);
  EXPECT_TRUE(compiled.ok());
  if (!compiled.ok()) {
    for (const auto& d : compiled.error()) std::cerr << d.message << "\n";
    return nullptr;
  }
  return compiled->program;
}

class ExplainTest : public ::testing::Test {
 protected:
  ExplainTest() : program_(Compile(kRules)), runner_(program_) {}

  std::shared_ptr<const Event> E(int64_t ts, const std::string& account, const std::string& kind,
                                 int64_t amount_cents, int64_t mcc = 5411,
                                 const std::string& card = "card-1") {
    const Schema& schema = *program_->schema;
    EventBuilder b(schema.size());
    const std::string id = "e" + std::to_string(seq_);
    b.SetTs(EventTime::FromMillis(ts)).SetSeq(seq_++).SetId(id);
    b.Set(*schema.Find("id"), Value::String(id));
    b.Set(*schema.Find("account_id"), Value::String(account));
    b.Set(*schema.Find("card_id"), Value::String(card));
    b.Set(*schema.Find("kind"), Value::String(kind));
    b.Set(*schema.Find("mcc"), Value::Int(mcc));
    b.Set(*schema.Find("amount"), Value::Decimal(amount_cents * 10'000));
    b.Set(*schema.Find("ts"), Value::Time(EventTime::FromMillis(ts)));
    return std::make_shared<const Event>(b.Build());
  }

  void Feed(std::shared_ptr<const Event> event) { runner_.OnEvent(std::move(event)); }
  void Watermark(int64_t ts) { runner_.AdvanceWatermark(EventTime::FromMillis(ts), alerts_); }

  // A copy: explanations are often temporaries.
  static std::optional<RuleKeyExplanation> Rule(const KeyExplanation& explanation,
                                                const std::string& name) {
    for (const RuleKeyExplanation& rule : explanation.rules) {
      if (rule.rule_name == name) return rule;
    }
    return std::nullopt;
  }

  static std::vector<std::string> RuleNames(const KeyExplanation& explanation) {
    std::vector<std::string> names;
    for (const RuleKeyExplanation& rule : explanation.rules) names.push_back(rule.rule_name);
    return names;
  }

  static std::vector<std::string> Ids(const std::vector<std::shared_ptr<const Event>>& events) {
    std::vector<std::string> ids;
    for (const auto& event : events) ids.emplace_back(event->id());
    return ids;
  }

  std::shared_ptr<const Program> program_;
  RulesetRunner runner_;
  std::vector<RuleAlert> alerts_;
  uint64_t seq_ = 0;
};

TEST_F(ExplainTest, APatternHalfwayShowsItsStagesEventsAndExpiry) {
  Feed(E(kT, "acct-1", "payment", 100));              // e0: small
  Feed(E(kT + kMinute, "acct-1", "payment", 2'000));  // e1: medium
  Watermark(kT + kMinute);
  const KeyExplanation explanation = runner_.Explain("acct-1");
  EXPECT_EQ(explanation.key, "acct-1");
  EXPECT_EQ(explanation.watermark, EventTime::FromMillis(kT + kMinute));
  EXPECT_EQ(RuleNames(explanation), (std::vector<std::string>{"three_steps"}));
  const RuleKeyExplanation& rule = explanation.rules[0];
  EXPECT_EQ(rule.kind, "pattern");
  EXPECT_EQ(rule.rule, 0u);
  EXPECT_TRUE(rule.windows.empty());
  EXPECT_FALSE(rule.suppressed_until.has_value());
  ASSERT_EQ(rule.partial_matches.size(), 1u);
  const PartialMatchView& run = rule.partial_matches[0];
  ASSERT_EQ(run.stages.size(), 2u);  // `large` has no event yet: not listed
  EXPECT_EQ(run.stages[0].first, "small");
  EXPECT_EQ(Ids(run.stages[0].second), (std::vector<std::string>{"e0"}));
  EXPECT_EQ(run.stages[1].first, "medium");
  EXPECT_EQ(Ids(run.stages[1].second), (std::vector<std::string>{"e1"}));
  EXPECT_EQ(run.started, EventTime::FromMillis(kT));
  EXPECT_EQ(run.expires, EventTime::FromMillis(kT + 10 * kMinute));
  EXPECT_TRUE(alerts_.empty());
}

TEST_F(ExplainTest, SeveralPartialMatchesAreListedOldestFirst) {
  Feed(E(kT, "acct-1", "payment", 100));                  // e0: small
  Feed(E(kT + kMinute, "acct-1", "payment", 300));        // e1: small again
  Feed(E(kT + 2 * kMinute, "acct-1", "payment", 2'000));  // e2: medium for both
  Watermark(kT + 2 * kMinute);
  std::optional<RuleKeyExplanation> rule = Rule(runner_.Explain("acct-1"), "three_steps");
  ASSERT_TRUE(rule.has_value());
  // e0 and e1 each started a run (e0's skipped e1: followed_by), and e2 moved both
  // on: two runs wait for `large`.
  ASSERT_EQ(rule->partial_matches.size(), 2u);
  EXPECT_EQ(Ids(rule->partial_matches[0].stages[1].second), (std::vector<std::string>{"e2"}));
  EXPECT_EQ(rule->partial_matches[0].started, EventTime::FromMillis(kT));
  EXPECT_EQ(Ids(rule->partial_matches[0].stages[0].second), (std::vector<std::string>{"e0"}));
  EXPECT_EQ(rule->partial_matches[1].started, EventTime::FromMillis(kT + kMinute));
  EXPECT_EQ(Ids(rule->partial_matches[1].stages[0].second), (std::vector<std::string>{"e1"}));
  EXPECT_EQ(Ids(rule->partial_matches[1].stages[1].second), (std::vector<std::string>{"e2"}));
}

TEST_F(ExplainTest, AfterItsTimeoutThePartialMatchIsGone) {
  Feed(E(kT, "acct-1", "payment", 100));
  Feed(E(kT + kMinute, "acct-1", "payment", 2'000));
  Watermark(kT + 10 * kMinute - 1);
  EXPECT_TRUE(Rule(runner_.Explain("acct-1"), "three_steps").has_value());
  Watermark(kT + 10 * kMinute);  // first + within: timed out
  EXPECT_TRUE(runner_.Explain("acct-1").rules.empty());
  EXPECT_TRUE(alerts_.empty());  // no `on timeout emit`
}

TEST_F(ExplainTest, ACompletedMatchLeavesNoPartial) {
  Feed(E(kT, "acct-1", "payment", 100));
  Feed(E(kT + kMinute, "acct-1", "payment", 2'000));
  Feed(E(kT + 2 * kMinute, "acct-1", "payment", 90'000, 7995));
  Watermark(kT + 2 * kMinute);
  ASSERT_EQ(alerts_.size(), 1u);
  EXPECT_FALSE(Rule(runner_.Explain("acct-1"), "three_steps").has_value());
}

TEST_F(ExplainTest, LastWindowShowsCountAndSumOfTheKeysLatestWindow) {
  Feed(E(kT, "acct-2", "purchase", 1'000));                    // out of the window below
  Feed(E(kT + 31 * kMinute, "acct-2", "purchase", 1'050));     // 10.50
  Feed(E(kT + 40 * kMinute, "acct-2", "purchase", 2'000));     // 20.00
  Feed(E(kT + 41 * kMinute, "acct-2", "login", 9'999));        // filtered by `where`
  Watermark(kT + 45 * kMinute);
  const KeyExplanation explanation = runner_.Explain("acct-2");
  EXPECT_EQ(RuleNames(explanation), (std::vector<std::string>{"last_30m"}));
  const RuleKeyExplanation& rule = explanation.rules[0];
  EXPECT_EQ(rule.kind, "window");
  EXPECT_TRUE(rule.partial_matches.empty());
  ASSERT_EQ(rule.windows.size(), 1u);
  const WindowView& window = rule.windows[0];
  ASSERT_EQ(window.aggregates.size(), 2u);
  EXPECT_EQ(window.aggregates[0].first, "count()");
  EXPECT_EQ(std::get<int64_t>(window.aggregates[0].second), 2);
  EXPECT_EQ(window.aggregates[1].first, "sum(amount)");
  EXPECT_DOUBLE_EQ(std::get<double>(window.aggregates[1].second), 30.5);
  EXPECT_EQ(window.events, 2u);
  EXPECT_EQ(window.window_end, EventTime::FromMillis(kT + 40 * kMinute));
  EXPECT_EQ(window.window_start, EventTime::FromMillis(kT + 10 * kMinute));
  EXPECT_TRUE(alerts_.empty());
}

TEST_F(ExplainTest, SuppressionShowsUntilItEnds) {
  for (int i = 0; i < 3; ++i) Feed(E(kT + i * kMinute, "acct-3", "purchase", 2'000));
  Watermark(kT + 5 * kMinute);
  ASSERT_EQ(alerts_.size(), 1u);  // count 3, sum 60.00 at kT + 2m
  std::optional<RuleKeyExplanation> rule = Rule(runner_.Explain("acct-3"), "last_30m");
  ASSERT_TRUE(rule.has_value());
  EXPECT_EQ(rule->suppressed_until, EventTime::FromMillis(kT + 17 * kMinute));
  EXPECT_EQ(std::get<int64_t>(rule->windows.at(0).aggregates[0].second), 3);
  Watermark(kT + 17 * kMinute);
  rule = Rule(runner_.Explain("acct-3"), "last_30m");
  ASSERT_TRUE(rule.has_value());  // the window still holds its events
  EXPECT_FALSE(rule->suppressed_until.has_value());
}

TEST_F(ExplainTest, TumblingSlidingAndSessionWindowsShowEachOpenWindow) {
  Feed(E(kT + kMinute, "acct-4", "transfer", 1'000));        // 10.00
  Feed(E(kT + 12 * kMinute, "acct-4", "transfer", 2'000));   // 20.00
  Watermark(kT + 12 * kMinute);
  const KeyExplanation explanation = runner_.Explain("acct-4");
  EXPECT_EQ(RuleNames(explanation), (std::vector<std::string>{"hourly", "hopping", "sessions"}));

  const auto hourly = Rule(explanation, "hourly");
  ASSERT_TRUE(hourly.has_value());
  ASSERT_EQ(hourly->windows.size(), 1u);
  EXPECT_EQ(hourly->windows[0].window_start, EventTime::FromMillis(kT));
  EXPECT_EQ(hourly->windows[0].window_end, EventTime::FromMillis(kT + kHour));
  EXPECT_EQ(hourly->windows[0].aggregates[0].first, "count()");
  EXPECT_EQ(std::get<int64_t>(hourly->windows[0].aggregates[0].second), 2);
  EXPECT_EQ(hourly->windows[0].events, 2u);

  // [kS, kS + 30m), S = 10m: e0 is in the windows from -20m, -10m, 0; e1 in -10m,
  // 0, 10m. The one from -20m ended at 10m and fired (no alert: 10.00).
  const auto hopping = Rule(explanation, "hopping");
  ASSERT_TRUE(hopping.has_value());
  ASSERT_EQ(hopping->windows.size(), 3u);
  const int64_t starts[] = {kT - 10 * kMinute, kT, kT + 10 * kMinute};
  const double sums[] = {30.0, 30.0, 20.0};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(hopping->windows[i].window_start, EventTime::FromMillis(starts[i]));
    EXPECT_EQ(hopping->windows[i].window_end, EventTime::FromMillis(starts[i] + 30 * kMinute));
    EXPECT_EQ(hopping->windows[i].aggregates[0].first, "sum(amount)");
    EXPECT_DOUBLE_EQ(std::get<double>(hopping->windows[i].aggregates[0].second), sums[i]);
    EXPECT_FALSE(hopping->windows[i].events.has_value());  // no count() to tell
  }

  // The gap is 11m < 15m: one session [1m, 12m + 15m).
  const auto sessions = Rule(explanation, "sessions");
  ASSERT_TRUE(sessions.has_value());
  ASSERT_EQ(sessions->windows.size(), 1u);
  EXPECT_EQ(sessions->windows[0].window_start, EventTime::FromMillis(kT + kMinute));
  EXPECT_EQ(sessions->windows[0].window_end, EventTime::FromMillis(kT + 27 * kMinute));
  EXPECT_EQ(sessions->windows[0].events, 2u);
  EXPECT_TRUE(alerts_.empty());
}

TEST_F(ExplainTest, AnUnknownKeyHasNoRules) {
  Feed(E(kT, "acct-1", "payment", 100));
  Watermark(kT);
  const KeyExplanation explanation = runner_.Explain("nobody");
  EXPECT_EQ(explanation.key, "nobody");
  EXPECT_TRUE(explanation.rules.empty());
  EXPECT_EQ(explanation.pending_events, 0u);
  EXPECT_TRUE(runner_.Explain("").rules.empty());  // `key none` holds nothing yet
  EXPECT_EQ(runner_.key_count(), 1u);  // the lookups added no key
}

TEST_F(ExplainTest, AMultiFieldKeyIsNamedByItsJoinedFields) {
  Feed(E(kT, "acct-5", "login", 10'000, 5411, "card-9"));  // 100.00: starts no three_steps
  Watermark(kT);
  const KeyExplanation both = runner_.Explain("acct-5|card-9");
  EXPECT_EQ(RuleNames(both), (std::vector<std::string>{"login_then_buy"}));
  ASSERT_EQ(both.rules[0].partial_matches.size(), 1u);
  EXPECT_EQ(both.rules[0].partial_matches[0].stages.at(0).first, "login");
  EXPECT_EQ(both.rules[0].partial_matches[0].expires, EventTime::FromMillis(kT + 5 * kMinute));
  EXPECT_TRUE(runner_.Explain("acct-5").rules.empty());  // other rules: nothing for it
  EXPECT_TRUE(runner_.Explain("acct-5|card-1").rules.empty());
}

TEST_F(ExplainTest, KeyNoneIsTheEmptyKey) {
  Feed(E(kT, "acct-6", "refund", 100));
  Watermark(kT);
  EXPECT_EQ(RuleNames(runner_.Explain("")), (std::vector<std::string>{"refunds_anywhere"}));
}

TEST_F(ExplainTest, EventsWaitingForTheWatermarkAreCountedForTheirKey) {
  Feed(E(kT, "acct-7", "payment", 100));
  Feed(E(kT + 1, "acct-7", "payment", 100));
  Feed(E(kT + 2, "acct-8", "payment", 100));
  EXPECT_EQ(runner_.Explain("acct-7").pending_events, 2u);
  EXPECT_EQ(runner_.Explain("acct-8").pending_events, 1u);
  EXPECT_EQ(runner_.Explain("acct-7|card-1").pending_events, 2u);  // under `key account_id, card_id`
  EXPECT_TRUE(runner_.Explain("acct-7").rules.empty());  // not matched yet
  Watermark(kT + 2);
  EXPECT_EQ(runner_.Explain("acct-7").pending_events, 0u);
  EXPECT_EQ(runner_.Explain("acct-7").rules.size(), 1u);
}

// Random traffic over a few keys, in ts order with some out of order (the late
// ones are dropped), watermarks every few events. "rule key ts kind [ids] fields".
std::vector<std::string> RunStream(const std::shared_ptr<const Program>& program, bool explain,
                                   size_t* explained_rules) {
  RulesetRunner runner(program);
  const Schema& schema = *program->schema;
  std::mt19937 rng(20261124);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  static const char* kKinds[] = {"purchase", "purchase", "payment", "transfer", "login", "refund"};
  static const int64_t kAmounts[] = {100, 300, 2'000, 5'000, 25'000, 90'000};
  std::vector<RuleAlert> alerts;
  int64_t now = kT;
  auto explain_all = [&](const std::string& account, const std::string& card) {
    if (!explain) return;
    for (const std::string& key : {account, account + "|" + card, std::string(), std::string("zz")}) {
      *explained_rules += runner.Explain(key).rules.size();
    }
  };
  for (uint64_t seq = 0; seq < 3000; ++seq) {
    now += static_cast<int64_t>(pick(5) == 0 ? pick(20 * kMinute) : pick(90'000));
    const int64_t ts = now - (pick(6) == 0 ? static_cast<int64_t>(pick(4 * kMinute)) : 0);
    const std::string account = "acct" + std::to_string(pick(4));
    const std::string card = "card" + std::to_string(pick(2));
    EventBuilder b(schema.size());
    b.SetTs(EventTime::FromMillis(ts)).SetSeq(seq).SetId("e" + std::to_string(seq));
    b.Set(*schema.Find("account_id"), Value::String(account));
    b.Set(*schema.Find("card_id"), Value::String(card));
    b.Set(*schema.Find("kind"), Value::String(kKinds[pick(6)]));
    b.Set(*schema.Find("mcc"), Value::Int(pick(2) == 0 ? 7995 : 5411));
    b.Set(*schema.Find("amount"), Value::Decimal(kAmounts[pick(6)] * 10'000));
    runner.OnEvent(std::make_shared<const Event>(b.Build()));
    explain_all(account, card);
    if (seq % 7 == 0) {
      runner.AdvanceWatermark(EventTime::FromMillis(now - 2 * kMinute), alerts);
      explain_all(account, card);
    }
  }
  runner.AdvanceWatermark(EventTime::Max(), alerts);
  std::vector<std::string> out;
  for (const RuleAlert& alert : alerts) {
    std::string text = program->rules[alert.rule].name + " " + alert.key + " " +
                       std::to_string(alert.ts.millis()) + " " +
                       std::to_string(static_cast<int>(alert.kind)) + " [";
    for (const auto& stage : alert.stages) {
      for (const auto& event : stage) text += std::string(event->id()) + " ";
    }
    text += "]";
    for (const auto& [name, value] : alert.fields) {
      text += " " + name + "=" + std::to_string(value.index());
      if (const auto* i = std::get_if<int64_t>(&value)) text += ":" + std::to_string(*i);
      if (const auto* d = std::get_if<double>(&value)) text += ":" + std::to_string(*d);
    }
    out.push_back(std::move(text));
  }
  return out;
}

TEST_F(ExplainTest, ExplainingBetweenEventsDoesNotChangeTheAlerts) {
  size_t explained_rules = 0;
  const std::vector<std::string> plain = RunStream(program_, false, &explained_rules);
  const std::vector<std::string> explained = RunStream(program_, true, &explained_rules);
  EXPECT_GT(plain.size(), 20u);
  EXPECT_GT(explained_rules, 1000u);  // the explanations did see state
  EXPECT_EQ(plain, explained);
}

}  // namespace
}  // namespace cep
