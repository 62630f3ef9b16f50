// ReplayJobs running the built `cep` binary (CEP_CLI_BINARY) as its children.
#include "api/replay_jobs/replay_jobs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/cli/cli.h"
#include "tests/api/replay_jobs/replay_test_util.h"
#include "tests/fakes/fake_clock.h"

namespace api::replay_jobs {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

constexpr auto kLimit = std::chrono::seconds(120);  // a job's bound under ASan on shared cores

bool Ended(const nlohmann::json& job) {
  const std::string state = job["state"];
  return state == "done" || state == "failed" || state == "cancelled";
}

bool Replaying(const nlohmann::json& job) {
  return job["state"] == "running" && job.value("phase", "") == "replaying";
}

class ReplayJobsTest : public ::testing::Test {
 protected:
  explicit ReplayJobsTest() : dir_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {
    fs::create_directories(input_dir());
  }

  fs::path input_dir() const { return dir_.path() / "input"; }
  fs::path jobs_dir() const { return dir_.path() / "jobs"; }

  std::unique_ptr<ReplayJobs> Jobs(size_t max_running = 1, size_t max_queued = 16) {
    ReplayJobsOptions options;
    options.cep_binary = CEP_CLI_BINARY;
    options.jobs_dir = jobs_dir();
    options.input_dir = input_dir();
    options.max_running = max_running;
    options.max_queued = max_queued;
    options.clock = &clock_;
    auto jobs = ReplayJobs::Create(options);
    EXPECT_TRUE(jobs) << jobs.error().message();
    return jobs ? std::move(*jobs) : nullptr;
  }

  static ReplayRequest Request(const std::string& input, const std::string& source = testing::kLargePurchaseRules) {
    ReplayRequest request;
    request.ruleset = "large";
    request.version = 1;
    request.source = source;
    request.input = input;
    request.threads = 2;
    return request;
  }

  // A FIFO in the input directory, held open for writing (O_RDWR does not wait
  // for a reader) so a replay of it never sees the end of its input.
  int HeldFifo(const std::string& name, const std::string& text) {
    const fs::path path = input_dir() / name;
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    return fd;
  }

  TempDir dir_;
  fakes::FakeClock clock_;
};

// The alert count a direct `cep replay` reports for the same rules and input.
uint64_t DirectReplayAlerts(const fs::path& dir, const std::string& rules_text,
                            std::vector<std::string> args) {
  testing::WriteText(dir / "direct.rules", rules_text);
  std::vector<std::string> all = {"cep", "replay", "--rules", (dir / "direct.rules").string(),
                                  "--alerts", "/dev/null", "--report", (dir / "direct.json").string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& arg : all) argv.push_back(arg.c_str());
  ::testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(argv.size()), argv.data());
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitOk) << err;
  std::ifstream in(dir / "direct.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str()).value("alerts", uint64_t{0});
}

TEST_F(ReplayJobsTest, RunsToDoneWithTheReportOfADirectReplay) {
  testing::WriteEvents(input_dir() / "events.jsonl", 3'000);
  auto jobs = Jobs();
  ASSERT_NE(jobs, nullptr);
  clock_.Set(cep::WallTime::FromMillis(5'000));
  auto id = jobs->Start(Request("events.jsonl"));
  ASSERT_TRUE(id) << id.error().message();
  auto job = jobs->WaitFor(*id, Ended, kLimit);
  ASSERT_TRUE(job);
  ASSERT_EQ((*job)["state"], "done") << job->dump(2);
  const uint64_t direct =
      DirectReplayAlerts(dir_.path(), testing::kLargePurchaseRules,
                         {"--input", (input_dir() / "events.jsonl").string()});
  EXPECT_EQ(direct, testing::LargeAmongFirst(3'000));
  EXPECT_EQ((*job)["report"]["alerts"], direct);
  EXPECT_EQ((*job)["report"]["events"], 3'000);
  EXPECT_EQ((*job)["report"]["input"], "events.jsonl");  // not the server's path
  EXPECT_EQ((*job)["ruleset"], "large");
  EXPECT_EQ((*job)["version"], 1);
  EXPECT_EQ((*job)["input"], "events.jsonl");
  EXPECT_EQ((*job)["progress"]["events"], 3'000);
  EXPECT_EQ((*job)["progress"]["fraction"], 1.0);
  EXPECT_EQ((*job)["progress"]["bytes_read"], fs::file_size(input_dir() / "events.jsonl"));
  EXPECT_EQ((*job)["started_ms"], 5'000);
  EXPECT_EQ((*job)["finished_ms"], 5'000);
  EXPECT_FALSE(job->contains("error"));
  // The child's own files, in the job's directory.
  const fs::path job_dir = jobs_dir() / std::string(*id);
  std::ifstream progress(job_dir / "progress.json");
  std::string line;
  std::getline(progress, line);
  EXPECT_EQ(nlohmann::json::parse(line)["done"], true);
  std::ifstream alerts(job_dir / "alerts.jsonl");
  uint64_t alert_lines = 0;
  while (std::getline(alerts, line)) ++alert_lines;
  EXPECT_EQ(alert_lines, direct);

  const nlohmann::json list = jobs->List();
  ASSERT_EQ(list["jobs"].size(), 1u);
  EXPECT_EQ(list["jobs"][0]["id"], *id);
  EXPECT_FALSE(list["jobs"][0].contains("report"));
  EXPECT_FALSE(jobs->Get("no-such-job"));
}

TEST_F(ReplayJobsTest, PassesTheRequestOptionsToTheReplay) {
  testing::WriteEvents(input_dir() / "events.jsonl", 1'000);
  auto jobs = Jobs();
  ASSERT_NE(jobs, nullptr);
  ReplayRequest request = Request("events.jsonl");
  request.set["LARGE"] = "150";
  request.max_out_of_orderness = "5s";
  auto id = jobs->Start(request);
  ASSERT_TRUE(id) << id.error().message();
  auto job = jobs->WaitFor(*id, Ended, kLimit);
  ASSERT_TRUE(job);
  ASSERT_EQ((*job)["state"], "done") << job->dump(2);
  uint64_t above_150 = 0;
  for (uint64_t i = 0; i < 1'000; ++i) above_150 += i % 200 > 150 ? 1 : 0;
  EXPECT_EQ((*job)["report"]["alerts"], above_150);
  EXPECT_EQ((*job)["report"]["set"], nlohmann::json::array({"LARGE=150"}));
}

TEST_F(ReplayJobsTest, CancelStopsARunningJobAndQueuedOnesAtOnce) {
  const int fifo = HeldFifo("stream.jsonl", testing::EventLine(0) + "\n");
  auto jobs = Jobs(/*max_running=*/1, /*max_queued=*/2);
  ASSERT_NE(jobs, nullptr);
  ReplayRequest endless = Request("stream.jsonl");
  endless.format = "jsonl";
  auto running = jobs->Start(endless);
  ASSERT_TRUE(running) << running.error().message();
  ASSERT_TRUE(jobs->WaitFor(*running, Replaying, kLimit));

  testing::WriteEvents(input_dir() / "events.jsonl", 10);
  auto queued = jobs->Start(Request("events.jsonl"));
  auto queued_too = jobs->Start(Request("events.jsonl"));
  ASSERT_TRUE(queued && queued_too);
  auto refused = jobs->Start(Request("events.jsonl"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), cep::StatusCode::kResourceExhausted);
  EXPECT_EQ((*jobs->Get(*queued))["state"], "queued");

  ASSERT_TRUE(jobs->Cancel(*queued).ok());
  EXPECT_EQ((*jobs->Get(*queued))["state"], "cancelled");  // at once: it never started
  EXPECT_EQ(jobs->Cancel(*queued).code(), cep::StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs->Cancel("no-such-job").code(), cep::StatusCode::kNotFound);

  ASSERT_TRUE(jobs->Cancel(*running).ok());
  auto cancelled = jobs->WaitFor(*running, Ended, kLimit);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ((*cancelled)["state"], "cancelled") << cancelled->dump(2);
  EXPECT_FALSE(cancelled->contains("report"));
  // The worker moves on to the job still queued.
  auto next = jobs->WaitFor(*queued_too, Ended, kLimit);
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)["state"], "done") << next->dump(2);
  ::close(fifo);
}

TEST_F(ReplayJobsTest, DestroyingTheJobsEndsRunningChildren) {
  const int fifo = HeldFifo("stream.jsonl", testing::EventLine(0) + "\n");
  auto jobs = Jobs();
  ASSERT_NE(jobs, nullptr);
  auto id = jobs->Start(Request("stream.jsonl"));
  ASSERT_TRUE(id) << id.error().message();
  ASSERT_TRUE(jobs->WaitFor(*id, Replaying, kLimit));
  jobs.reset();  // SIGTERMs the child and joins: a hang here fails by the test timeout
  ::close(fifo);
  SUCCEED();
}

TEST_F(ReplayJobsTest, RefusesInputPathsOutsideTheInputDirectory) {
  testing::WriteEvents(dir_.path() / "outside.jsonl", 10);
  fs::create_symlink(dir_.path() / "outside.jsonl", input_dir() / "link.jsonl");
  fs::create_directories(input_dir() / "sub");
  testing::WriteEvents(input_dir() / "sub" / "inside.jsonl", 10);
  auto jobs = Jobs();
  ASSERT_NE(jobs, nullptr);
  for (const char* path : {"../etc/passwd", "/etc/passwd", "../outside.jsonl", "link.jsonl",
                           "sub/../../outside.jsonl", "sub"}) {
    auto id = jobs->Start(Request(path));
    ASSERT_FALSE(id) << path;
    EXPECT_EQ(id.error().code(), cep::StatusCode::kInvalidArgument) << path;
  }
  auto missing = jobs->Start(Request("missing.jsonl"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), cep::StatusCode::kNotFound);
  ReplayRequest csv_map = Request("sub/inside.jsonl");
  csv_map.csv_map = "../map.json";
  EXPECT_EQ(jobs->Start(csv_map).error().code(), cep::StatusCode::kInvalidArgument);
  ReplayRequest topic = Request("");
  topic.topic = "transactions";
  EXPECT_EQ(jobs->Start(topic).error().code(), cep::StatusCode::kFailedPrecondition);  // no Kafka
  // A path that only passes through a subdirectory stays inside and runs.
  auto inside = jobs->Start(Request("sub/./inside.jsonl"));
  ASSERT_TRUE(inside) << inside.error().message();
  auto job = jobs->WaitFor(*inside, Ended, kLimit);
  ASSERT_TRUE(job);
  EXPECT_EQ((*job)["state"], "done") << job->dump(2);
  EXPECT_EQ(jobs->List()["jobs"].size(), 1u);  // refused requests leave no job
}

TEST_F(ReplayJobsTest, InvalidRulesFailWithTheCompilerMessage) {
  testing::WriteEvents(input_dir() / "events.jsonl", 10);
  auto jobs = Jobs();
  ASSERT_NE(jobs, nullptr);
  ReplayRequest request = Request("events.jsonl",
                                  "ruleset broken version 1\nrule x {\n  key account_id\n"
                                  "  pattern begin a where amount > \"lots\" within 1m\n}\n");
  request.ruleset = "broken";
  auto id = jobs->Start(request);
  ASSERT_TRUE(id) << id.error().message();
  auto job = jobs->WaitFor(*id, Ended, kLimit);
  ASSERT_TRUE(job);
  ASSERT_EQ((*job)["state"], "failed");
  const std::string error = (*job)["error"];
  EXPECT_NE(error.find("exit code 1"), std::string::npos) << error;
  EXPECT_NE(error.find("broken.rules:4:"), std::string::npos) << error;  // file:line of the rule
  EXPECT_EQ(error.find(jobs_dir().string()), std::string::npos) << error;  // no server paths
  EXPECT_FALSE(job->contains("report"));
}

// A client's value that looks like an option reaches `cep replay` as a value.
TEST_F(ReplayJobsTest, ValuesThatLookLikeOptionsStayValues) {
  testing::WriteEvents(input_dir() / "events.jsonl", 10);
  auto jobs = Jobs();
  ASSERT_NE(jobs, nullptr);
  ReplayRequest request = Request("events.jsonl");
  request.label_field = "--alerts=/dev/null";
  auto id = jobs->Start(request);
  ASSERT_TRUE(id) << id.error().message();
  auto job = jobs->WaitFor(*id, Ended, kLimit);
  ASSERT_TRUE(job);
  ASSERT_EQ((*job)["state"], "failed");
  EXPECT_NE((*job)["error"].get<std::string>().find("no field '--alerts=/dev/null'"),
            std::string::npos)
      << (*job)["error"];
}

TEST_F(ReplayJobsTest, ForgetsTheOldestFinishedJobsBeyondMaxKept) {
  testing::WriteEvents(input_dir() / "events.jsonl", 10);
  ReplayJobsOptions options;
  options.cep_binary = CEP_CLI_BINARY;
  options.jobs_dir = jobs_dir();
  options.input_dir = input_dir();
  options.max_kept = 2;
  options.clock = &clock_;
  auto jobs = ReplayJobs::Create(options);
  ASSERT_TRUE(jobs) << jobs.error().message();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = (*jobs)->Start(Request("events.jsonl"));
    ASSERT_TRUE(id) << id.error().message();
    ASSERT_TRUE((*jobs)->WaitFor(*id, Ended, kLimit));
    ids.push_back(*id);
  }
  // Pruned in the same step that finished the third job.
  EXPECT_FALSE((*jobs)->Get(ids[0]));
  EXPECT_FALSE(fs::exists(jobs_dir() / ids[0]));
  EXPECT_TRUE((*jobs)->Get(ids[1]));
  EXPECT_TRUE((*jobs)->Get(ids[2]));
}

TEST_F(ReplayJobsTest, CreateRefusesBadOptions) {
  ReplayJobsOptions options;
  options.cep_binary = CEP_CLI_BINARY;
  options.jobs_dir = jobs_dir();
  options.input_dir = dir_.path() / "nonexistent";
  EXPECT_EQ(ReplayJobs::Create(options).error().code(), cep::StatusCode::kInvalidArgument);
  options.input_dir = input_dir();
  options.cep_binary = "/nonexistent/cep";
  EXPECT_EQ(ReplayJobs::Create(options).error().code(), cep::StatusCode::kInvalidArgument);
  options.cep_binary = CEP_CLI_BINARY;
  options.max_running = 0;
  EXPECT_EQ(ReplayJobs::Create(options).error().code(), cep::StatusCode::kInvalidArgument);
}

// The Sparkov slice of ../shared/data (5,116 CSV rows), read where it lies.
TEST_F(ReplayJobsTest, ReplaysTheSharedSparkovSliceLikeADirectReplay) {
  const fs::path root = fs::weakly_canonical(testing::SourceDir() / "..");
  const std::string input = "shared/data/sparkov-fraudtest-prefix/sparkov_fraudTest_first5116.csv.gz";
  if (!fs::exists(root / input)) GTEST_SKIP() << "no " << (root / input);
  const std::string csv_map = fs::relative(testing::SourceDir() / "rulesets/sparkov.csvmap.json", root);
  std::ifstream rules_in(testing::SourceDir() / "rulesets/fdh.rules");
  std::stringstream rules;
  rules << rules_in.rdbuf();
  ReplayJobsOptions options;
  options.cep_binary = CEP_CLI_BINARY;
  options.jobs_dir = jobs_dir();
  options.input_dir = root;
  options.clock = &clock_;
  auto jobs = ReplayJobs::Create(options);
  ASSERT_TRUE(jobs) << jobs.error().message();
  ReplayRequest request = Request(input, rules.str());
  request.ruleset = "fdh";
  request.csv_map = csv_map;
  request.label_field = "label";
  auto id = (*jobs)->Start(request);
  ASSERT_TRUE(id) << id.error().message();
  auto job = (*jobs)->WaitFor(*id, Ended, kLimit);
  ASSERT_TRUE(job);
  ASSERT_EQ((*job)["state"], "done") << job->dump(2);
  const uint64_t direct = DirectReplayAlerts(
      dir_.path(), rules.str(),
      {"--input", (root / input).string(), "--csv-map", (root / csv_map).string(), "--label-field",
       "label"});
  EXPECT_EQ((*job)["report"]["alerts"], direct);
  EXPECT_EQ((*job)["report"]["events"], 5'116);
  EXPECT_GT(direct, 0u);
  EXPECT_TRUE((*job)["report"].contains("labels"));
  EXPECT_EQ((*job)["progress"]["bytes_read"], fs::file_size(root / input));
}

}  // namespace
}  // namespace api::replay_jobs
