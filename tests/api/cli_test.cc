#include "api/cli/cli.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace api {
namespace {

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

CliRun Cep(std::vector<const char*> args) {
  args.insert(args.begin(), "cep");
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(args.size()), args.data());
  CliRun run{code, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
  return run;
}

// Every subcommand of INTERFACES.md, "One binary: cep".
const char* const kInterfaceCommands[] = {"serve",  "check",    "replay",    "gen", "bench",
                                          "broker", "rulesets", "savepoint", "demo"};

TEST(CliTest, HelpListsEveryCommandOfTheInterface) {
  CliRun run = Cep({"--help"});
  EXPECT_EQ(run.exit_code, kExitOk);
  for (const char* command : kInterfaceCommands) {
    EXPECT_NE(run.out.find(std::string("  ") + command), std::string::npos) << command;
  }
}

TEST(CliTest, VersionPrintsTheVersion) {
  CliRun run = Cep({"--version"});
  EXPECT_EQ(run.exit_code, kExitOk);
  EXPECT_EQ(run.out.rfind("cep ", 0), 0u) << run.out;
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* command : kInterfaceCommands) {
    CliRun run = Cep({command, "--help"});
    EXPECT_EQ(run.exit_code, kExitOk) << command;
    EXPECT_NE(run.out.find(command), std::string::npos) << command;
  }
  EXPECT_EQ(Cep({"rulesets", "push", "--help"}).exit_code, kExitOk);
}

TEST(CliTest, RulesetsSaysWhenTheServerCannotBeReached) {
  // Port 1 on loopback: nothing listens there.
  CliRun run = Cep({"rulesets", "list", "--url", "http://127.0.0.1:1", "--token", "t"});
  EXPECT_EQ(run.exit_code, kExitUserError);
  EXPECT_NE(run.err.find("cannot reach http://127.0.0.1:1"), std::string::npos) << run.err;
}

TEST(CliTest, SavepointOfADirectoryWithoutCheckpointsSaysSo) {
  CliRun run = Cep({"savepoint", "create", "--data-dir", "/nonexistent/cep-data", "--to", "/tmp/x"});
  EXPECT_EQ(run.exit_code, kExitUserError);
  EXPECT_NE(run.err.find("no checkpoints in /nonexistent/cep-data"), std::string::npos) << run.err;
  EXPECT_EQ(Cep({"savepoint", "create"}).exit_code, kExitUsage);  // --to is required
}

TEST(CliTest, ServeRefusesABadConfigAndPrintsTheEffectiveOneWithoutSecrets) {
  CliRun missing = Cep({"serve", "--config", "/nonexistent/cep.yaml"});
  EXPECT_EQ(missing.exit_code, kExitUserError);
  EXPECT_NE(missing.err.find("/nonexistent/cep.yaml"), std::string::npos) << missing.err;
  CliRun bad = Cep({"serve", "--slots", "-3"});
  EXPECT_EQ(bad.exit_code, kExitUserError);
  EXPECT_NE(bad.err.find("slots"), std::string::npos) << bad.err;
  CliRun printed = Cep({"serve", "--print-config", "--slots", "3", "--set",
                        "rest_tokens.secret-token-0123456789=admin"});
  EXPECT_EQ(printed.exit_code, kExitOk) << printed.err;
  EXPECT_NE(printed.out.find("slots: 3"), std::string::npos) << printed.out;
  EXPECT_EQ(printed.out.find("secret-token"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("<redacted-1>: admin"), std::string::npos) << printed.out;
}

TEST(CliTest, BadUsageExitsTwoWithAMessage) {
  CliRun none = Cep({});
  EXPECT_EQ(none.exit_code, kExitUsage);
  EXPECT_FALSE(none.err.empty());
  CliRun unknown = Cep({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_FALSE(unknown.err.empty());
  CliRun bad_level = Cep({"--log-level", "loud", "check"});
  EXPECT_EQ(bad_level.exit_code, kExitUsage);
  EXPECT_EQ(Cep({"rulesets"}).exit_code, kExitUsage);  // needs push|list|activate|diff
}

std::string SourceDir() {
  const char* dir = std::getenv("CEP_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("cep-cli-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

TEST(CliCheckTest, GoodRulesetsPassAndBadOnesShowWhereAndWhy) {
  const std::string good = SourceDir() + "/rulesets/card_fraud.rules";
  CliRun ok = Cep({"check", good.c_str()});
  EXPECT_EQ(ok.exit_code, kExitOk) << ok.err;
  EXPECT_NE(ok.out.find("ok, ruleset card_fraud version 3, 4 rules"), std::string::npos) << ok.out;

  const std::string bad = WriteTemp("bad.rules",
                                    "ruleset r version 1\nrule x {\n  key account_id\n"
                                    "  pattern begin a where amount > \"lots\" within 1m\n}\n");
  CliRun failed = Cep({"check", good.c_str(), bad.c_str()});
  EXPECT_EQ(failed.exit_code, kExitUserError);
  EXPECT_NE(failed.err.find(bad + ":4:"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("^"), std::string::npos) << failed.err;  // the caret line
  EXPECT_EQ(Cep({"check", "/nonexistent.rules"}).exit_code, kExitUserError);
}

TEST(CliReplayTest, ReplaysAndReportsErrorsPlainly) {
  const std::string rules = SourceDir() + "/rulesets/card_fraud.rules";
  const std::string events = SourceDir() + "/rulesets/examples/card_fraud_events.jsonl";
  const std::string alerts = WriteTemp("alerts.jsonl", "");
  CliRun run = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                    alerts.c_str()});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.err.find("7 events (0 rejected, 0 late), 3 alerts"), std::string::npos) << run.err;
  std::ifstream in(alerts);
  std::string first;
  std::getline(in, first);
  EXPECT_NE(first.find(R"("rule":"card_testing_then_large")"), std::string::npos) << first;

  EXPECT_EQ(Cep({"replay", "--rules", rules.c_str(), "--input", "/nonexistent.jsonl"}).exit_code,
            kExitUserError);
  EXPECT_EQ(Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--sweep",
                 "x=1..2:1"})
                .exit_code,
            kExitUsage);
  EXPECT_EQ(Cep({"replay", "--input", events.c_str()}).exit_code, kExitUsage);  // --rules missing
}

TEST(CliReplayTest, LabelFieldScoresAlertsAgainstGroundTruth) {
  const std::string rules = SourceDir() + "/rulesets/card_fraud.rules";
  // t4 completes the card-testing match and is fraud; b1 completes the gambling
  // match and is genuine; f9 is a fraud nothing catches.
  const std::string events = WriteTemp(
      "labelled.jsonl",
      R"({"id":"t1","account_id":"a","kind":"purchase","amount":1,"mcc":1,"ts":1000,"label":0})" "\n"
      R"({"id":"t2","account_id":"a","kind":"purchase","amount":2,"mcc":1,"ts":2000,"label":0})" "\n"
      R"({"id":"t3","account_id":"a","kind":"purchase","amount":3,"mcc":1,"ts":3000,"label":0})" "\n"
      R"({"id":"t4","account_id":"a","kind":"purchase","amount":912,"mcc":7995,"ts":4000,"label":1})" "\n"
      R"({"id":"l1","account_id":"b","kind":"login","country":"MT","home_country":"DE","ts":5000,"label":0})" "\n"
      R"({"id":"b1","account_id":"b","merchant":"casino","ts":6000,"label":0})" "\n"
      R"({"id":"f9","account_id":"c","kind":"purchase","amount":5,"ts":7000,"label":1})" "\n");
  CliRun run = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                    "/dev/null", "--label-field", "label"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.err.find("card_testing_then_large                 1 alerts, 0 suppressed, "
                         "precision 1.000, recall 0.500"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("gambling_after_foreign_login            1 alerts, 0 suppressed, "
                         "precision 0.000, recall 0.000"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("overall: 2 fraud events, precision 0.500, recall 0.500"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                 "/dev/null", "--label-field", "nosuch"})
                .exit_code,
            kExitUsage);
}


std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Terminal t1 gets a fraud at 1 h, confirmed a day later; the rule counts
// confirmed frauds per terminal and names the next payment there.
constexpr const char* kFeedbackRules = R"(
ruleset feedback version 1
schema transaction
rule payment_at_reported_terminal {
  key terminal_id
  pattern
    begin reported where kind == "fraud_report"
    followed_by pay where kind == "purchase"
    within 30d
}
)";

std::string FeedbackEvents(int t1_label, int t2_label) {
  return std::string(R"({"id":"p1","terminal_id":"t1","kind":"purchase","amount":10,"ts":3600000,"label":)") +
         std::to_string(t1_label) + "}\n" +
         R"({"id":"p2","terminal_id":"t1","kind":"purchase","amount":10,"ts":7200000,"label":0})" "\n"
         R"({"id":"p3","terminal_id":"t1","kind":"purchase","amount":10,"ts":180000000,"label":0})" "\n" +
         R"({"id":"p4","terminal_id":"t2","kind":"purchase","amount":10,"ts":190000000,"label":)" +
         std::to_string(t2_label) + "}\n";
}

TEST(CliReplayTest, FeedbackDelayInjectsFraudReportsWhenTheyWouldBeKnown) {
  const std::string rules = WriteTemp("feedback.rules", kFeedbackRules);
  const std::string events = WriteTemp("feedback.jsonl", FeedbackEvents(1, 0));
  const std::string alerts = WriteTemp("feedback-alerts.jsonl", "");
  CliRun run = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                    alerts.c_str(), "--label-field", "label", "--feedback-delay", "1d"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  // The report for p1 arrives at 1 h + 1 d: p2 (2 h) is before it, p3 (50 h) after.
  const std::string written = ReadAll(alerts);
  EXPECT_NE(written.find(R"("stages":{"reported":["p1#fraud_report"],"pay":["p3"]})"), std::string::npos)
      << written;
  EXPECT_EQ(written.find(R"("p2")"), std::string::npos) << "no report is known at 2 h: " << written;
  EXPECT_EQ(Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--feedback-delay", "1d"})
                .exit_code,
            kExitUsage)
      << "feedback is made from labels: --label-field is required";
}

TEST(CliReplayTest, LabelsNeverReachTheRulesWithoutFeedback) {
  // The same events with opposite labels give byte-identical alerts: the only
  // way labels reach rules is --feedback-delay.
  const std::string rules = SourceDir() + "/rulesets/card_fraud.rules";
  std::string a, b;
  for (int flip = 0; flip < 2; ++flip) {
    const std::string events = WriteTemp(
        "leak" + std::to_string(flip) + ".jsonl",
        std::string(R"({"id":"t1","account_id":"a","kind":"purchase","amount":1,"mcc":1,"ts":1000,"label":)") +
            std::to_string(flip) + "}\n" +
            R"({"id":"t2","account_id":"a","kind":"purchase","amount":2,"mcc":1,"ts":2000,"label":)" +
            std::to_string(1 - flip) + "}\n" +
            R"({"id":"t3","account_id":"a","kind":"purchase","amount":3,"mcc":1,"ts":3000,"label":)" +
            std::to_string(flip) + "}\n" +
            R"({"id":"t4","account_id":"a","kind":"purchase","amount":912,"mcc":7995,"ts":4000,"label":)" +
            std::to_string(1 - flip) + "}\n");
    const std::string alerts = WriteTemp("leak-alerts" + std::to_string(flip) + ".jsonl", "");
    CliRun run = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                      alerts.c_str(), "--label-field", "label"});
    ASSERT_EQ(run.exit_code, kExitOk) << run.err;
    (flip == 0 ? a : b) = ReadAll(alerts);
  }
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  // And a rule cannot name the label at all.
  const std::string peek = WriteTemp("peek.rules", R"(
ruleset peek version 1
schema transaction
rule reads_label {
  key account_id
  where label == 1
  window last 1h
  when count() >= 1
}
)");
  EXPECT_EQ(Cep({"check", peek.c_str()}).exit_code, kExitUserError);
}

}  // namespace
}  // namespace api

namespace api {
namespace {

// `--compare B`: the alerts B adds and removes per rule, matched by what they
// say (rule, key, ts, events), not by id (ids hash the ruleset and version).
TEST(CliReplayTest, CompareReportsTheAlertsASecondRulesetAddsAndRemovesPerRule) {
  const std::string rules = SourceDir() + "/rulesets/card_fraud.rules";
  const std::string events = SourceDir() + "/rulesets/examples/card_fraud_events.jsonl";
  std::ifstream in(rules);
  std::stringstream text;
  text << in.rdbuf();
  std::string changed = text.str();
  // The card-testing rule no longer fires (its large purchase must exceed a
  // million); every other rule is left as it is.
  const std::string from = "large where amount > 500";
  ASSERT_NE(changed.find(from), std::string::npos);
  changed.replace(changed.find(from), from.size(), "large where amount > 1000000");
  const std::string other = WriteTemp("compare.rules", changed);
  const std::string report = WriteTemp("compare.json", "");
  CliRun run = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                    "/dev/null", "--compare", other.c_str(), "--report", report.c_str()});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_NE(run.err.find("2 alerts in both, 0 added, 1 removed"), std::string::npos) << run.err;
  std::ifstream written(report);
  std::stringstream json;
  json << written.rdbuf();
  EXPECT_NE(json.str().find(R"("rule": "card_testing_then_large",
        "alerts": 1,
        "alerts_compared": 0,
        "both": 0,
        "added": 0,
        "removed": 1)"),
            std::string::npos)
      << json.str();
  // The same ruleset against itself: nothing added, nothing removed.
  CliRun same = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                     "/dev/null", "--compare", rules.c_str()});
  ASSERT_EQ(same.exit_code, kExitOk) << same.err;
  EXPECT_NE(same.err.find("3 alerts in both, 0 added, 0 removed"), std::string::npos) << same.err;
  // The input is read twice: stdin cannot be.
  EXPECT_EQ(Cep({"replay", "--rules", rules.c_str(), "--input", "-", "--compare", rules.c_str()})
                .exit_code,
            kExitUsage);
}

}  // namespace
}  // namespace api

namespace api {
namespace {

// `--set NAME=VALUE` replays with a const's value replaced: here the casino
// MCC leaves the high-risk list, and the card-testing match with it.
TEST(CliReplayTest, SetReplacesAConstForTheReplay) {
  const std::string rules = SourceDir() + "/rulesets/card_fraud.rules";
  const std::string events = SourceDir() + "/rulesets/examples/card_fraud_events.jsonl";
  CliRun base = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                     "/dev/null"});
  ASSERT_EQ(base.exit_code, kExitOk) << base.err;
  EXPECT_NE(base.err.find("card_testing_then_large                 1 alerts"), std::string::npos)
      << base.err;
  const std::string report = WriteTemp("set.json", "");
  CliRun set = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--alerts",
                    "/dev/null", "--set", "HIGH_RISK_MCC=[6051]", "--report", report.c_str()});
  ASSERT_EQ(set.exit_code, kExitOk) << set.err;
  EXPECT_NE(set.err.find("card_testing_then_large                 0 alerts"), std::string::npos)
      << set.err;
  std::ifstream written(report);
  std::stringstream json;
  json << written.rdbuf();
  EXPECT_NE(json.str().find(R"("HIGH_RISK_MCC=[6051]")"), std::string::npos) << json.str();

  CliRun unknown = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--set",
                        "NOPE=1"});
  EXPECT_EQ(unknown.exit_code, kExitUserError);
  EXPECT_NE(unknown.err.find("has no const NOPE (it has HIGH_RISK_MCC)"), std::string::npos)
      << unknown.err;
  CliRun dotted = Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--set",
                       "card_testing_then_large.HIGH_RISK_MCC=[1]"});
  EXPECT_EQ(dotted.exit_code, kExitUsage);
  EXPECT_NE(dotted.err.find("consts belong to the ruleset"), std::string::npos) << dotted.err;
  EXPECT_EQ(Cep({"replay", "--rules", rules.c_str(), "--input", events.c_str(), "--set", "=1"})
                .exit_code,
            kExitUsage);
}

}  // namespace
}  // namespace api
