// Every injected scenario makes its example ruleset fire, and the rulesets fire
// mostly on labelled events: a generated stream replayed through the real
// engine (rules::CompileRuleset, TransactionEventDecoder, cep::RulesetRunner,
// the automatic watermark of `cep replay`).
//
// Bounds, loose on purpose (the generator's README has the measured figures):
//   - precision: of the alerts completed by an event (patterns, `window last`),
//     >= 90% per rule are completed by a fraud event (label 1);
//   - alerts fired by the watermark (timeouts, sliding and tumbling windows) have
//     no event to score: >= 90% of them are keyed by a victim's account, card or
//     the fraudster's device;
//   - recall: the main rules of each scenario catch >= 80% of its victims (the
//     last incidents of the stream may be cut short); the others fire at least
//     once on it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cep/ruleset_runner.h"
#include "engine/decode/transaction_event_decoder.h"
#include "engine/gen/transaction_generator.h"
#include "rules/compiler.h"

namespace engine {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("CEP_SOURCE_DIR");
  return dir != nullptr ? dir : CEP_SOURCE_DIR_DEFAULT;
}

// 2,000 accounts at ~4 events a day: 60,000 events are 7.5 days, with ~150
// incidents (1% of accounts a day), ~20 per scenario.
const std::vector<cep::v1::Transaction>& Stream() {
  static const auto* stream = [] {
    GenOptions options;
    options.seed = 7;
    options.accounts = 2'000;
    options.count = 60'000;
    options.fraud_accounts = 0.01;
    TransactionGenerator generator(options);
    auto* events = new std::vector<cep::v1::Transaction>();
    cep::v1::Transaction tx;
    while (generator.Next(tx)) events->push_back(tx);
    return events;
  }();
  return *stream;
}

struct RuleFigures {
  uint64_t alerts = 0;
  uint64_t true_positives = 0;
  uint64_t false_positives = 0;
  uint64_t unscored = 0;
  uint64_t unscored_on_victims = 0;
  std::map<std::string, std::set<std::string>> caught;  // scenario -> victim accounts
};

// Replays the stream through rulesets/<name>.rules; figures per rule.
std::map<std::string, RuleFigures> Replay(const std::string& name,
                                          const std::vector<cep::v1::Transaction>& events) {
  std::ifstream in(SourceDir() + "/rulesets/" + name + ".rules");
  std::stringstream text;
  text << in.rdbuf();
  auto compiled = rules::CompileRuleset(text.str());
  EXPECT_TRUE(compiled.ok()) << name;
  if (!compiled.ok()) return {};
  const auto program = compiled->program;

  std::map<std::string, const cep::v1::Transaction*> by_id;
  std::set<std::string> victim_keys;  // accounts, cards, devices of fraud events
  for (const auto& tx : events) {
    by_id[tx.id()] = &tx;
    if (tx.label() != 1) continue;
    victim_keys.insert(tx.account_id());
    if (tx.has_card_id()) victim_keys.insert(tx.card_id());
    if (tx.has_device_id()) victim_keys.insert(tx.device_id());
  }

  TransactionEventDecoder decoder(program->schema, {"id", compiled->regexes});
  cep::RulesetRunner runner(program);
  std::vector<cep::RuleAlert> raised;
  cep::EventTime max_ts = cep::EventTime::Min();
  auto advance = [&](cep::EventTime watermark) {
    if (watermark > runner.watermark()) runner.AdvanceWatermark(watermark, raised);
  };
  uint64_t seq = 0;
  for (const auto& tx : events) {
    auto event = decoder.Decode(tx, seq++);
    EXPECT_TRUE(event.ok());
    if (!event.ok()) continue;
    const cep::EventTime ts = event->ts();
    runner.OnEvent(std::make_shared<const cep::Event>(*std::move(event)));
    if (ts > max_ts) {
      max_ts = ts;
      advance(max_ts - cep::Duration::Millis(1));
    }
  }
  advance(cep::EventTime::Max());
  EXPECT_EQ(runner.stats().late_events, 0u) << name;

  std::map<std::string, RuleFigures> figures;
  for (const auto& rule : program->rules) figures[rule.name];
  for (const cep::RuleAlert& alert : raised) {
    RuleFigures& f = figures[program->rules[alert.rule].name];
    ++f.alerts;
    if (!alert.event) {
      ++f.unscored;
      if (victim_keys.count(alert.key)) ++f.unscored_on_victims;
      continue;
    }
    const cep::v1::Transaction& tx = *by_id.at(std::string(alert.event->id()));
    if (tx.label() == 1) {
      ++f.true_positives;
      f.caught[tx.attrs().at("scenario")].insert(tx.account_id());
    } else {
      ++f.false_positives;
    }
  }
  return figures;
}

std::map<std::string, std::set<std::string>> Victims(const std::vector<cep::v1::Transaction>& events) {
  std::map<std::string, std::set<std::string>> victims;
  for (const auto& tx : events) {
    if (tx.label() == 1) victims[tx.attrs().at("scenario")].insert(tx.account_id());
  }
  return victims;
}

struct Expectation {
  std::string rule;
  std::string scenario;  // the scenario it must catch (empty: none in particular)
  bool main;             // catches >= 80% of the scenario's victims
};

struct RulesetCase {
  std::string ruleset;
  std::vector<Expectation> expectations;
};

// Names the case in test listings (instead of its bytes).
void PrintTo(const RulesetCase& c, std::ostream* os) { *os << c.ruleset; }

class ScenarioRulesetTest : public ::testing::TestWithParam<RulesetCase> {};

TEST_P(ScenarioRulesetTest, FiresOnItsScenariosWithGoodPrecision) {
  const RulesetCase& c = GetParam();
  const auto& events = Stream();
  const auto victims = Victims(events);
  const auto figures = Replay(c.ruleset, events);
  for (const auto& [rule, f] : figures) {
    const uint64_t scored = f.true_positives + f.false_positives;
    std::printf("%s.%s: %llu alerts, %llu TP, %llu FP, %llu unscored (%llu on victims)\n",
                c.ruleset.c_str(), rule.c_str(), static_cast<unsigned long long>(f.alerts),
                static_cast<unsigned long long>(f.true_positives),
                static_cast<unsigned long long>(f.false_positives),
                static_cast<unsigned long long>(f.unscored),
                static_cast<unsigned long long>(f.unscored_on_victims));
    EXPECT_GE(f.true_positives * 10, scored * 9) << rule << ": precision under 0.9";
    EXPECT_GE(f.unscored_on_victims * 10, f.unscored * 9) << rule << ": watermark alerts off victims";
  }
  for (const Expectation& e : c.expectations) {
    ASSERT_TRUE(figures.count(e.rule)) << e.rule;
    const RuleFigures& f = figures.at(e.rule);
    EXPECT_GT(f.alerts, 0u) << e.rule;
    if (e.scenario.empty()) continue;
    ASSERT_TRUE(victims.count(e.scenario)) << e.scenario;
    const auto caught = f.caught.count(e.scenario) ? f.caught.at(e.scenario).size() : 0;
    const auto all = victims.at(e.scenario).size();
    std::printf("  %s catches %zu of %zu %s victims\n", e.rule.c_str(), caught, all, e.scenario.c_str());
    EXPECT_GT(caught, 0u) << e.rule << " never fires on " << e.scenario;
    if (e.main) {
      EXPECT_GE(caught * 10, all * 8) << e.rule << " misses " << e.scenario;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    ExampleRulesets, ScenarioRulesetTest,
    ::testing::Values(
        RulesetCase{"card_testing",
                    {{"small_charges_then_large", "card_testing", true},
                     {"burst_of_declinable_tests", "card_testing", false}}},
        RulesetCase{"card_fraud",
                    {{"card_testing_then_large", "card_testing", true},
                     {"velocity_30m", "velocity", true},
                     {"gambling_after_foreign_login", "gambling", true},
                     {"reset_without_verification", "", false}}},
        RulesetCase{"velocity",
                    {{"spend_30m", "velocity", true},
                     {"many_countries_1d", "velocity", true},
                     {"hourly_foreign_spend", "", false},
                     {"device_fan_out", "", false}}},
        RulesetCase{"impossible_travel", {{"card_present_far_apart", "impossible_travel", true}}},
        RulesetCase{"account_takeover",
                    {{"reset_then_transfer_unverified", "account_takeover", true},
                     {"reset_without_verification", "", false}}},
        RulesetCase{"gambling",
                    {{"gambling_after_foreign_login", "gambling", true},
                     {"repeated_gambling_spend", "gambling", true}}},
        RulesetCase{"structuring",
                    {{"just_under_threshold_7d", "structuring", true},
                     {"three_in_a_row", "structuring", true}}}),
    [](const ::testing::TestParamInfo<RulesetCase>& param) { return param.param.ruleset; });

}  // namespace
}  // namespace engine
