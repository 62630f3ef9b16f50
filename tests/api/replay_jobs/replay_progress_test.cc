// `cep replay --progress FILE`, in process through RunCli.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/cli/cli.h"
#include "tests/api/replay_jobs/replay_test_util.h"

namespace api::replay_jobs {
namespace {

using testing::TempDir;

int Replay(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"cep", "replay"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  ::testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(argv.size()), argv.data());
  const std::string err = ::testing::internal::GetCapturedStderr();
  if (code != kExitOk) ADD_FAILURE() << err;
  return code;
}

nlohmann::json ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

TEST(ReplayProgressTest, EndsWithDoneAndEveryByteOfAPlainFile) {
  TempDir dir("progress-plain");
  testing::WriteText(dir.path() / "rules.rules", testing::kLargePurchaseRules);
  testing::WriteEvents(dir.path() / "events.jsonl", 10'000);
  const auto progress = dir.path() / "progress.json";
  ASSERT_EQ(Replay({"--rules", (dir.path() / "rules.rules").string(), "--input",
                    (dir.path() / "events.jsonl").string(), "--alerts", "/dev/null", "--progress",
                    progress.string()}),
            kExitOk);
  const nlohmann::json json = ReadJson(progress);
  const auto size = std::filesystem::file_size(dir.path() / "events.jsonl");
  EXPECT_EQ(json, nlohmann::json({{"events", 10'000},
                                  {"bytes_read", size},
                                  {"bytes_total", size},
                                  {"done", true}}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "progress.json.tmp"));  // renamed, not left
}

TEST(ReplayProgressTest, CountsCompressedBytesOfAGzipFile) {
  TempDir dir("progress-gzip");
  testing::WriteText(dir.path() / "rules.rules", testing::kLargePurchaseRules);
  const auto events = dir.path() / "events.jsonl.gz";
  gzFile gz = gzopen(events.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  for (uint64_t i = 0; i < 5'000; ++i) {
    const std::string line = testing::EventLine(i) + "\n";
    ASSERT_EQ(gzwrite(gz, line.data(), static_cast<unsigned>(line.size())),
              static_cast<int>(line.size()));
  }
  ASSERT_EQ(gzclose(gz), Z_OK);
  const auto progress = dir.path() / "progress.json";
  ASSERT_EQ(Replay({"--rules", (dir.path() / "rules.rules").string(), "--input", events.string(),
                    "--alerts", "/dev/null", "--progress", progress.string()}),
            kExitOk);
  const nlohmann::json json = ReadJson(progress);
  const auto compressed = std::filesystem::file_size(events);
  EXPECT_EQ(json.value("events", 0), 5'000);
  EXPECT_EQ(json.value("bytes_total", uint64_t{0}), compressed);
  EXPECT_EQ(json.value("bytes_read", uint64_t{0}), compressed);
  EXPECT_EQ(json.value("done", false), true);
}

TEST(ReplayProgressTest, WithoutTheOptionNoFileIsWritten) {
  TempDir dir("progress-none");
  testing::WriteText(dir.path() / "rules.rules", testing::kLargePurchaseRules);
  testing::WriteEvents(dir.path() / "events.jsonl", 10);
  ASSERT_EQ(Replay({"--rules", (dir.path() / "rules.rules").string(), "--input",
                    (dir.path() / "events.jsonl").string(), "--alerts", "/dev/null"}),
            kExitOk);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            2);
}

}  // namespace
}  // namespace api::replay_jobs
