// `cep replay --sweep`, `--score-from/--score-to`, the time-to-detect histogram
// and `--html`, end to end through the command line (issue #7).
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "api/cli/cli.h"

namespace api {
namespace {

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

CliRun Cep(std::vector<std::string> args) {
  std::vector<const char*> argv = {"cep", "replay"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(argv.size()), argv.data());
  CliRun run{code, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
  return run;
}

std::string Temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("cep-sweep-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = Temp(name);
  std::ofstream(path) << text;
  return path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json ReadJson(const std::string& path) { return nlohmann::json::parse(ReadAll(path)); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// `big` reads LIMIT, `casino` reads CASINO: a sweep of one leaves the other
// rule shared by every variant.
constexpr const char* kRules = R"(
ruleset sweep version 1
schema transaction
const LIMIT = 100
const CASINO = 7995
rule big {
  key account_id
  pattern
    begin large where amount > LIMIT
}
rule casino {
  key account_id
  pattern
    begin c where mcc == CASINO
}
)";

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kHour = 3'600'000;

std::string Event(const std::string& id, const std::string& account, int amount, int mcc,
                  int64_t ts, int label) {
  return R"({"id":")" + id + R"(","account_id":")" + account +
         R"(","kind":"purchase","amount":)" + std::to_string(amount) + R"(,"mcc":)" +
         std::to_string(mcc) + R"(,"ts":)" + std::to_string(ts) + R"(,"label":)" +
         std::to_string(label) + "}\n";
}

// Four frauds (e2, e4, e5, e6) over four days, 1970-01-01 to 1970-01-04.
std::string Events() {
  return Event("e1", "a", 50, 1, 1000, 0) + Event("e2", "a", 120, 1, kHour, 1) +
         Event("e3", "b", 150, 1, kDay, 0) + Event("e4", "b", 250, 1, kDay + kHour, 1) +
         Event("e5", "c", 80, 7995, 2 * kDay, 1) + Event("e6", "c", 300, 1, 2 * kDay + kHour, 1) +
         Event("e7", "d", 110, 1, 3 * kDay, 0);
}

// A report without what differs between a sweep and a single run of the same
// values by construction (timing, the overrides' spelling, the sweep's parts).
nlohmann::json Comparable(nlohmann::json report) {
  for (const char* key : {"seconds", "events_per_second", "set", "selected", "sweep"}) {
    report.erase(key);
  }
  return report;
}

// The alerts of one variant, without the "variant" field.
std::vector<std::string> VariantAlerts(const std::string& alerts, const nlohmann::json& set) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(alerts)) {
    nlohmann::json alert = nlohmann::json::parse(line);
    if (alert.at("variant") != set) continue;
    alert.erase("variant");
    out.push_back(alert.dump());
  }
  return out;
}

std::vector<std::string> Normalized(const std::string& alerts) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(alerts)) out.push_back(nlohmann::json::parse(line).dump());
  return out;
}

TEST(ReplaySweepCliTest, EveryVariantEqualsASeparateRunWithThatValue) {
  const std::string rules = WriteTemp("rules", kRules);
  const std::string events = WriteTemp("events.jsonl", Events());
  const std::string report = Temp("sweep.json");
  const std::string alerts = Temp("sweep-alerts.jsonl");
  CliRun sweep = Cep({"--rules", rules, "--input", events, "--label-field", "label", "--sweep",
                      "LIMIT=50..200:50", "--report", report, "--alerts", alerts, "--threads", "2"});
  ASSERT_EQ(sweep.exit_code, kExitOk) << sweep.err;
  EXPECT_NE(sweep.err.find("4 variants in one pass (1 of 2 rules shared)"), std::string::npos)
      << sweep.err;
  const nlohmann::json json = ReadJson(report);
  const std::string sweep_alerts = ReadAll(alerts);
  ASSERT_EQ(json.at("sweep").at("parameters"), nlohmann::json::array({"LIMIT"}));
  const nlohmann::json& variants = json.at("sweep").at("variants");
  ASSERT_EQ(variants.size(), 4u);
  const std::vector<std::string> values = {"50", "100", "150", "200"};
  for (size_t v = 0; v < values.size(); ++v) {
    SCOPED_TRACE("LIMIT=" + values[v]);
    const std::string single_report = Temp("single" + values[v] + ".json");
    const std::string single_alerts = Temp("single" + values[v] + ".jsonl");
    CliRun single = Cep({"--rules", rules, "--input", events, "--label-field", "label", "--set",
                         "LIMIT=" + values[v], "--report", single_report, "--alerts",
                         single_alerts});
    ASSERT_EQ(single.exit_code, kExitOk) << single.err;
    const nlohmann::json one = ReadJson(single_report);
    const nlohmann::json& row = variants[v];
    EXPECT_EQ(row.at("set"), nlohmann::json({{"LIMIT", values[v]}}));
    EXPECT_EQ(row.at("alerts"), one.at("alerts"));
    EXPECT_EQ(row.at("alerts_per_day_mean"), one.at("alerts_per_day_mean"));
    EXPECT_EQ(row.at("precision"), one.at("labels").at("overall").at("precision"));
    EXPECT_EQ(row.at("recall"), one.at("labels").at("overall").at("recall"));
    EXPECT_EQ(row.at("f1"), one.at("labels").at("overall").at("f1"));
    ASSERT_EQ(row.at("rules").size(), one.at("rules").size());
    for (size_t r = 0; r < row.at("rules").size(); ++r) {
      const nlohmann::json& mine = row.at("rules")[r];
      const nlohmann::json& theirs = one.at("rules")[r];
      EXPECT_EQ(mine.at("rule"), theirs.at("rule"));
      EXPECT_EQ(mine.at("alerts"), theirs.at("alerts"));
      EXPECT_EQ(mine.at("precision"), theirs.at("labels").at("precision"));
      EXPECT_EQ(mine.at("recall"), theirs.at("labels").at("recall"));
      EXPECT_EQ(mine.at("f1"), theirs.at("labels").at("f1"));
    }
    // The same alerts, ids included, in the same order.
    EXPECT_EQ(VariantAlerts(sweep_alerts, row.at("set")), Normalized(ReadAll(single_alerts)));
    // The selected variant's full report is the single run's.
    if (values[v] == "150") {
      EXPECT_EQ(Comparable(json), Comparable(one));
    }
  }
  // Expected figures: 50 catches all 4 frauds with 7 alerts, 100 all 4 with 6
  // (dominated by 50), 150 and 200 tie at 3 of 4 with no false positive.
  EXPECT_EQ(variants[0].at("alerts"), 7);
  EXPECT_EQ(variants[1].at("alerts"), 6);
  EXPECT_EQ(variants[2].at("precision"), 1.0);
  EXPECT_EQ(variants[2].at("recall"), 0.75);
  std::vector<bool> pareto;
  for (const auto& row : variants) pareto.push_back(row.at("pareto").get<bool>());
  EXPECT_EQ(pareto, (std::vector<bool>{true, false, true, true}));
  // Highest F1 (0.857 against 0.833), the first of the tie.
  EXPECT_EQ(json.at("selected"), nlohmann::json({{"LIMIT", "150"}}));
  EXPECT_EQ(json.at("set"), nlohmann::json::array({"LIMIT=150"}));
  EXPECT_NE(sweep.err.find("selected (>): LIMIT=150 (highest F1)"), std::string::npos) << sweep.err;
}

TEST(ReplaySweepCliTest, AGridOfTwoParametersRunsEveryCombination) {
  const std::string rules = WriteTemp("grid-rules", kRules);
  const std::string events = WriteTemp("grid-events.jsonl", Events());
  const std::string report = Temp("grid.json");
  const std::string alerts = Temp("grid-alerts.jsonl");
  CliRun sweep = Cep({"--rules", rules, "--input", events, "--sweep", "LIMIT=100..200:100",
                      "--sweep", "CASINO=7994..7996:1", "--report", report, "--alerts", alerts});
  ASSERT_EQ(sweep.exit_code, kExitOk) << sweep.err;
  EXPECT_NE(sweep.err.find("6 variants in one pass (0 of 2 rules shared)"), std::string::npos)
      << sweep.err;
  const nlohmann::json json = ReadJson(report);
  const nlohmann::json& variants = json.at("sweep").at("variants");
  ASSERT_EQ(variants.size(), 6u);
  EXPECT_FALSE(variants[0].contains("precision")) << "no labels, no scores";
  EXPECT_FALSE(variants[0].contains("pareto"));
  EXPECT_EQ(json.at("selected"), nlohmann::json({{"LIMIT", "100"}, {"CASINO", "7994"}}));
  const std::string sweep_alerts = ReadAll(alerts);
  size_t v = 0;
  for (const char* limit : {"100", "200"}) {
    for (const char* casino : {"7994", "7995", "7996"}) {
      SCOPED_TRACE(std::string(limit) + " " + casino);
      const nlohmann::json set = {{"LIMIT", limit}, {"CASINO", casino}};
      EXPECT_EQ(variants[v++].at("set"), set);
      const std::string single_alerts = Temp(std::string("grid-") + limit + casino + ".jsonl");
      CliRun single = Cep({"--rules", rules, "--input", events, "--set",
                           std::string("LIMIT=") + limit, "--set", std::string("CASINO=") + casino,
                           "--alerts", single_alerts});
      ASSERT_EQ(single.exit_code, kExitOk) << single.err;
      EXPECT_EQ(VariantAlerts(sweep_alerts, set), Normalized(ReadAll(single_alerts)));
    }
  }
}

TEST(ReplaySweepCliTest, RefusesBadSweepsAsUsageErrors) {
  const std::string rules = WriteTemp("err-rules", kRules);
  const std::string events = WriteTemp("err-events.jsonl", Events());
  const auto expect_usage = [&](std::vector<std::string> extra, const std::string& message) {
    std::vector<std::string> args = {"--rules", rules, "--input", events, "--alerts", "/dev/null"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun run = Cep(args);
    EXPECT_EQ(run.exit_code, kExitUsage) << extra.back() << ": " << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
  };
  expect_usage({"--sweep", "LIMIT=1..2"}, "expected NAME=FROM..TO:STEP");
  expect_usage({"--sweep", "LIMIT=a..b:1"}, "must be decimal numbers");
  expect_usage({"--sweep", "LIMIT=1..2:0"}, "STEP must be greater than 0");
  expect_usage({"--sweep", "LIMIT=1..2:-1"}, "STEP must be greater than 0");
  expect_usage({"--sweep", "LIMIT=3..2:1"}, "FROM must not be greater than TO");
  expect_usage({"--sweep", "NOPE=1..2:1"}, "has no const NOPE (it has LIMIT, CASINO)");
  expect_usage({"--sweep", "big.LIMIT=1..2:1"}, "consts belong to the ruleset");
  expect_usage({"--sweep", "LIMIT=1..1001:1"}, "more than 1000 values");
  expect_usage({"--sweep", "LIMIT=1..40:1", "--sweep", "CASINO=1..30:1"}, "more than 1000 variants");
  expect_usage({"--sweep", "LIMIT=1..2:1", "--sweep", "LIMIT=3..4:1"}, "given twice");
  expect_usage({"--sweep", "LIMIT=1..2:1", "--compare", rules}, "cannot be combined");
  expect_usage({"--set", "LIMIT=5", "--sweep", "LIMIT=1..2:1"}, "either set or swept");
}

TEST(ReplaySweepCliTest, ScorePeriodScoresOnlyAlertsAndFraudsInIt) {
  const std::string rules = WriteTemp("period-rules", kRules);
  const std::string events = WriteTemp("period-events.jsonl", Events());
  const std::string report = Temp("period.json");
  const std::string alerts = Temp("period-alerts.jsonl");
  // [1970-01-02, 1970-01-04): e3 e4 e5 e6; the replay still sees e1, e2 and e7.
  CliRun run = Cep({"--rules", rules, "--input", events, "--label-field", "label", "--score-from",
                    "1970-01-02", "--score-to", "1970-01-04T00:00:00Z", "--report", report,
                    "--alerts", alerts});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(Lines(ReadAll(alerts)).size(), 6u) << "every alert is written";
  const nlohmann::json json = ReadJson(report);
  EXPECT_EQ(json.at("events"), 7);
  EXPECT_EQ(json.at("score_period").at("from"), "1970-01-02");
  EXPECT_EQ(json.at("score_period").at("to"), "1970-01-04T00:00:00Z");
  EXPECT_EQ(json.at("score_period").at("events"), 4);
  EXPECT_EQ(json.at("score_period").at("alerts_outside"), 2);
  EXPECT_EQ(json.at("alerts"), 4);  // big on e3 e4 e6, casino on e5
  EXPECT_EQ(json.at("days"), 2);
  EXPECT_EQ(json.at("alerts_per_day_mean"), 2.0);
  EXPECT_EQ(json.at("alerts_per_day"), nlohmann::json({{"1970-01-02", 2}, {"1970-01-03", 2}}));
  const nlohmann::json& labels = json.at("labels");
  EXPECT_EQ(labels.at("labelled_events"), 4);
  EXPECT_EQ(labels.at("fraud_events"), 3);
  EXPECT_EQ(labels.at("overall").at("true_positives"), 3);
  EXPECT_EQ(labels.at("overall").at("false_positives"), 1);
  EXPECT_EQ(labels.at("overall").at("recall"), 1.0);
  EXPECT_EQ(labels.at("overall").at("time_to_detect").at("keys_with_fraud"), 2);  // b, c
  EXPECT_NE(run.err.find("scored 1970-01-02 .. 1970-01-04T00:00:00Z: 4 events, 4 alerts (2 outside)"),
            std::string::npos)
      << run.err;

  CliRun backwards = Cep({"--rules", rules, "--input", events, "--score-from", "1970-01-03",
                          "--score-to", "1970-01-02"});
  EXPECT_EQ(backwards.exit_code, kExitUsage);
  CliRun garbled = Cep({"--rules", rules, "--input", events, "--score-from", "August"});
  EXPECT_EQ(garbled.exit_code, kExitUsage);
  EXPECT_NE(garbled.err.find("--score-from August"), std::string::npos) << garbled.err;
}

TEST(ReplaySweepCliTest, ReportHasATimeToDetectHistogram) {
  const std::string rules = WriteTemp("ttd-rules", kRules);
  // Key a: fraud at 0, first alert 2 h later; key b: fraud and alert at once.
  const std::string events = WriteTemp(
      "ttd-events.jsonl", Event("f1", "a", 10, 1, 0, 1) + Event("f2", "a", 500, 1, 2 * kHour, 1) +
                              Event("f3", "b", 500, 1, kDay, 1));
  const std::string report = Temp("ttd.json");
  CliRun run = Cep({"--rules", rules, "--input", events, "--label-field", "label", "--report",
                    report, "--alerts", "/dev/null"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  const nlohmann::json json = ReadJson(report);
  const nlohmann::json expected = nlohmann::json::parse(R"([
    {"le_ms": 60000, "keys": 1}, {"le_ms": 600000, "keys": 0}, {"le_ms": 3600000, "keys": 0},
    {"le_ms": 21600000, "keys": 1}, {"le_ms": 86400000, "keys": 0}, {"le_ms": 259200000, "keys": 0},
    {"le_ms": 604800000, "keys": 0}, {"le_ms": 1209600000, "keys": 0},
    {"le_ms": 2419200000, "keys": 0}, {"le_ms": null, "keys": 0}])");
  EXPECT_EQ(json.at("labels").at("overall").at("time_to_detect").at("histogram"), expected);
  EXPECT_EQ(json.at("rules")[0].at("labels").at("time_to_detect").at("histogram"), expected);
  EXPECT_EQ(json.at("rules")[1].at("labels").at("time_to_detect").at("histogram")[0].at("keys"), 0);
}

TEST(ReplaySweepCliTest, HtmlWritesOneFileWithoutAJsonReport) {
  const std::string rules = WriteTemp("html-rules", kRules);
  const std::string events = WriteTemp("html-events.jsonl", Events());
  const std::string html = Temp("report.html");
  std::filesystem::remove(html);
  CliRun run = Cep({"--rules", rules, "--input", events, "--label-field", "label", "--sweep",
                    "LIMIT=50..200:50", "--alerts", "/dev/null", "--html", html});
#if __has_include("engine/replay/html_report.h")
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  const std::string page = ReadAll(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("casino"), std::string::npos);
#else
  EXPECT_EQ(run.exit_code, kExitUserError) << run.err;
  EXPECT_NE(run.err.find("no HTML report renderer"), std::string::npos) << run.err;
#endif
}

}  // namespace
}  // namespace api
