// The crash test (README "Guarantees"): `cep serve` is killed with SIGKILL at
// random moments, between and during checkpoints, and restarted, while a
// `cep broker` process keeps the topics. An independent consumer then reads
// the alert topic: it must hold exactly the alerts `cep replay` computes on the
// same input, none missing and none twice.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/proto/alert_json.h"
#include "engine/kafka/producer.h"
#include "tests/engine/kafka/cep_process.h"
#include "tests/engine/service/service_test_util.h"

namespace engine {
namespace {

using kafka::testing::CepProcess;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 4;
constexpr int kKills = 12;
constexpr int64_t kDayMs = 86'400'000;
const char* const kRulesets[] = {"card_testing.rules", "velocity.rules"};

std::filesystem::path FreshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cep-crash-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string RulesetPath(const char* file) {
  const char* source = std::getenv("CEP_SOURCE_DIR");
  return std::string(source != nullptr ? source : CEP_SOURCE_DIR_DEFAULT) + "/rulesets/" + file;
}

std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Runs `cep ARGS` to completion; its exit code.
int RunCep(const std::vector<std::string>& args, const std::filesystem::path& log) {
  CepProcess cep(args, log.string());
  return cep.started() ? cep.Wait(std::chrono::minutes(5)) : -1;
}

// Alert ids of JSON alert lines (or records) stamped before `cut`.
void Collect(const std::string& json, int64_t cut, std::vector<std::string>& ids) {
  auto alert = wire::AlertFromJson(json);
  ASSERT_TRUE(alert) << alert.error().message() << ": " << json;
  if (alert->ts_ms() < cut) ids.push_back(alert->alert_id());
}

TEST(CrashRecoveryTest, KilledAtRandomTheServiceWritesEachAlertOnce) {
  const auto dir = FreshDir("kill9");
  const auto log = dir / "cep.log";
  std::printf("crash test: logs in %s\n", log.c_str());

  // Input: a seeded stream with plenty of fraud, plus one closing event per
  // partition two days later, so that the watermark (the minimum over
  // partitions) passes every window of the real events, live as in replay.
  const auto events_file = dir / "events.jsonl";
  ASSERT_EQ(RunCep({"gen", "--count", "16000", "--seed", "11", "--accounts", "300",
                    "--fraud-rate", "0.05", "--out", events_file.string()},
                   log),
            0);
  std::vector<std::string> events = ReadLines(events_file);
  ASSERT_EQ(events.size(), 16000u);
  const int64_t last_ts = nlohmann::json::parse(events.back())["ts"].get<int64_t>();
  const int64_t cut = last_ts + kDayMs;  // compare alerts stamped before this
  std::vector<std::string> closing;
  for (int p = 0; p < kPartitions; ++p) {
    const std::string id = "closing-" + std::to_string(p);
    closing.push_back(nlohmann::json{{"id", id},
                                     {"account_id", id},
                                     {"card_id", id},
                                     {"kind", "login"},
                                     {"amount", 0},
                                     {"ts", last_ts + 2 * kDayMs},
                                     {"label", 0}}
                          .dump());
  }
  {
    std::ofstream all(dir / "all.jsonl");
    for (const auto& line : events) all << line << "\n";
    for (const auto& line : closing) all << line << "\n";
  }

  // Expected: what `cep replay` raises on the same input.
  std::vector<std::string> expected;
  for (const char* ruleset : kRulesets) {
    const auto out = dir / (std::string(ruleset) + ".alerts.jsonl");
    ASSERT_EQ(RunCep({"replay", "--rules", RulesetPath(ruleset), "--input", (dir / "all.jsonl").string(),
                      "--alerts", out.string()},
                     log),
              0);
    for (const std::string& line : ReadLines(out)) Collect(line, cut, expected);
  }
  std::sort(expected.begin(), expected.end());
  ASSERT_GT(expected.size(), 50u) << "the input must raise alerts for the test to mean anything";
  ASSERT_EQ(std::adjacent_find(expected.begin(), expected.end()), expected.end());

  CepProcess broker({"broker", "--partitions", std::to_string(kPartitions)}, log.string());
  const std::string line = broker.ReadLine(seconds(30));
  ASSERT_EQ(line.rfind("bootstrap: ", 0), 0u) << line;
  const std::string bootstrap = line.substr(std::string("bootstrap: ").size());
  auto producer = kafka::Producer::Create({.bootstrap = bootstrap});
  ASSERT_TRUE(producer) << producer.error().message();

  const std::vector<std::string> serve = {
      "serve", "--rest-address", "127.0.0.1:0", "--brokers", bootstrap, "--rules", RulesetPath(kRulesets[0]), "--rules",
      RulesetPath(kRulesets[1]), "--data-dir", (dir / "data").string(), "--checkpoint-interval",
      "500ms", "--slots", "2", "--idle-timeout", "1s", "--set", "kafka.input_format=json", "--set",
      "kafka.alert_format=json"};

  // Input arrives in pieces between and during the runs; each run is killed
  // after a random time: often mid-checkpoint (every 500 ms), sometimes
  // before it has restored.
  std::mt19937 random(20261124);
  std::uniform_int_distribution<int> lifetime_ms(200, 2500);
  const size_t piece = events.size() / (kKills + 1);
  size_t produced = 0;
  auto produce_until = [&](size_t end) {
    for (; produced < end; ++produced) {
      const auto event = nlohmann::json::parse(events[produced]);
      ASSERT_TRUE((*producer)->Produce("transactions", event["account_id"].get<std::string>(),
                                       events[produced])
                      .ok());
    }
    ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  };
  int kills = 0;
  for (int run = 0; run < kKills; ++run) {
    produce_until(piece * static_cast<size_t>(run + 1));
    CepProcess cep(serve, log.string());
    ASSERT_TRUE(cep.started());
    std::this_thread::sleep_for(milliseconds(lifetime_ms(random)));  // a random moment to die
    cep.Signal(SIGKILL);
    ASSERT_EQ(cep.Wait(seconds(30)), -1);  // killed, not exited
    ++kills;
  }
  produce_until(events.size());
  for (int p = 0; p < kPartitions; ++p) {
    ASSERT_TRUE((*producer)->Produce("transactions", "", closing[static_cast<size_t>(p)], {}, p).ok());
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());

  // The last run sees the input through, then stops cleanly.
  CepProcess last(serve, log.string());
  ASSERT_TRUE(last.started());
  std::vector<std::string> seen;
  testing::WaitUntil(
      [&] {
        seen.clear();
        for (const auto& record :
             testing::ReadTopic(bootstrap, "alerts", kPartitions, expected.size(), seconds(5),
                                /*fewer_is_ok=*/true)) {
          Collect(record.value, cut, seen);
        }
        return std::set<std::string>(seen.begin(), seen.end()).size() >= expected.size();
      },
      seconds(120));
  last.Signal(SIGTERM);
  EXPECT_EQ(last.Wait(seconds(60)), 0);
  seen.clear();
  for (const auto& record : testing::ReadTopic(bootstrap, "alerts", kPartitions,
                                               expected.size(), seconds(10))) {
    Collect(record.value, cut, seen);
  }

  std::map<std::string, int> counts;
  for (const std::string& id : seen) ++counts[id];
  size_t missing = 0, duplicated = 0, unexpected = 0;
  for (const std::string& id : expected) {
    if (!counts.contains(id)) ++missing;
  }
  const std::set<std::string> wanted(expected.begin(), expected.end());
  for (const auto& [id, count] : counts) {
    if (count > 1) duplicated += static_cast<size_t>(count - 1);
    if (!wanted.contains(id)) ++unexpected;
  }
  // How often a restarted run found alerts its predecessor had written after
  // its last checkpoint (and so did not write them again): the path this test is about.
  size_t read_back = 0, restores = 0;
  {
    std::ifstream in(log);
    const std::string marker = "read back ";
    for (std::string entry; std::getline(in, entry);) {
      const size_t at = entry.find(marker);
      if (at == std::string::npos) continue;
      ++restores;
      read_back += std::stoul(entry.substr(at + marker.size()));
    }
  }
  std::printf(
      "crash test: kills %d, restores %zu, alerts read back %zu, alerts expected %zu, seen %zu "
      "(distinct %zu), missing %zu, duplicated %zu, unexpected %zu\n",
      kills, restores, read_back, expected.size(), seen.size(), counts.size(), missing, duplicated,
      unexpected);
  EXPECT_GE(kills, 10);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(duplicated, 0u);
  EXPECT_EQ(unexpected, 0u);
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace engine
