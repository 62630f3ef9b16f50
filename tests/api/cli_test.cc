#include "api/cli/cli.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

TEST(CliTest, UnbuiltCommandsSaySoAndExitTwo) {
  CliRun run = Cep({"savepoint", "create"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_NE(run.err.find("cep savepoint create: not built yet"), std::string::npos) << run.err;
}

TEST(CliTest, ServeRefusesABadConfigAndRunsNothingWithoutRulesets) {
  CliRun missing = Cep({"serve", "--config", "/nonexistent/cep.yaml"});
  EXPECT_EQ(missing.exit_code, kExitUserError);
  EXPECT_NE(missing.err.find("/nonexistent/cep.yaml"), std::string::npos) << missing.err;
  CliRun bad = Cep({"serve", "--slots", "-3"});
  EXPECT_EQ(bad.exit_code, kExitUserError);
  EXPECT_NE(bad.err.find("slots"), std::string::npos) << bad.err;
  CliRun none = Cep({"serve"});
  EXPECT_EQ(none.exit_code, kExitUserError);
  EXPECT_NE(none.err.find("no rulesets"), std::string::npos) << none.err;
  CliRun printed = Cep({"serve", "--print-config", "--slots", "3"});
  EXPECT_EQ(printed.exit_code, kExitOk);
  EXPECT_NE(printed.out.find("slots: 3"), std::string::npos) << printed.out;
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

}  // namespace
}  // namespace api
