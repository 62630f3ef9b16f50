#include "api/replay_jobs/replay_jobs.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/replay_jobs/internal/child_process.h"
#include "api/replay_jobs/internal/topic_export.h"
#include "api/system_clock.h"

namespace api::replay_jobs {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };

namespace {

namespace fs = std::filesystem;

using State = JobState;

const char* StateName(State state) {
  switch (state) {
    case State::kQueued: return "queued";
    case State::kRunning: return "running";
    case State::kDone: return "done";
    case State::kFailed: return "failed";
    case State::kCancelled: return "cancelled";
  }
  return "unknown";
}

constexpr auto kPollInterval = std::chrono::milliseconds(200);
constexpr size_t kErrorLines = 20;  // of the child's log, in a failed job's error

const SystemClock kSystemClock;

bool IsInside(const fs::path& base, const fs::path& path) {
  return std::mismatch(base.begin(), base.end(), path.begin(), path.end()).first == base.end();
}

// `relative` under the canonical directory `base`, refusing what leaves it: an
// absolute path, `..` steps out of it, or a symlink pointing outside.
cep::Result<fs::path> ResolveUnder(const fs::path& base, const std::string& relative,
                                   std::string_view field) {
  const std::string name = "'" + std::string(field) + "' ";
  const fs::path path(relative);
  if (path.is_absolute()) {
    return cep::InvalidArgument(name + "must be relative to the service's input directory, not '" +
                                relative + "'");
  }
  if (!IsInside(base, (base / path).lexically_normal())) {
    return cep::InvalidArgument(name + "'" + relative + "' leaves the input directory");
  }
  std::error_code ec;
  const fs::path canonical = fs::canonical(base / path, ec);
  if (ec) return cep::NotFound(name + "'" + relative + "' is not in the input directory");
  if (!IsInside(base, canonical)) {
    return cep::InvalidArgument(name + "'" + relative + "' leaves the input directory");
  }
  if (fs::is_directory(canonical, ec)) {
    return cep::InvalidArgument(name + "'" + relative + "' is a directory, not a file");
  }
  return canonical;
}

// A file name from a ruleset name: what the compiler's messages will show.
std::string RulesFileName(const std::string& ruleset) {
  std::string name;
  for (char c : ruleset) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    name += plain ? c : '_';
  }
  return (name.empty() ? "rules" : name) + ".rules";
}

std::optional<nlohmann::json> ReadJsonFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

}  // namespace

struct ReplayJobs::Job {
  std::string id;
  ReplayRequest request;
  fs::path dir;
  std::string rules_file;  // in dir
  fs::path input;          // canonical; empty for topic input (the worker writes one)
  fs::path csv_map;        // canonical, or empty
  std::atomic<bool> cancel{false};

  // Guarded by ReplayJobs::mu_.
  State state = State::kQueued;
  std::string phase;  // while running: "reading_topic" or "replaying"
  std::optional<int64_t> started_ms, replay_started_ms, finished_ms;
  std::string error;
  nlohmann::json progress = nlohmann::json::object();  // the child's progress file
  uint64_t topic_records = 0;
  std::optional<nlohmann::json> report;
};

cep::Result<std::unique_ptr<ReplayJobs>> ReplayJobs::Create(ReplayJobsOptions options) {
  if (options.max_running == 0) return cep::InvalidArgument("max_running must be at least 1");
  if (options.max_kept == 0) return cep::InvalidArgument("max_kept must be at least 1");
  if (options.jobs_dir.empty()) return cep::InvalidArgument("jobs_dir is required");
  if (options.input_format != "json" && options.input_format != "protobuf") {
    return cep::InvalidArgument("input_format: expected json or protobuf, got '" +
                                options.input_format + "'");
  }
  std::error_code ec;
  options.cep_binary = fs::absolute(options.cep_binary, ec);
  if (ec || !fs::is_regular_file(options.cep_binary, ec)) {
    return cep::InvalidArgument("cep_binary '" + options.cep_binary.string() + "' is not a file");
  }
  fs::create_directories(options.jobs_dir, ec);
  if (ec) {
    return cep::Unavailable("cannot create jobs_dir '" + options.jobs_dir.string() +
                            "': " + ec.message());
  }
  options.jobs_dir = fs::canonical(options.jobs_dir, ec);
  fs::path input_dir = options.input_dir.empty() ? fs::path() : fs::canonical(options.input_dir, ec);
  if (options.input_dir.empty() || ec || !fs::is_directory(input_dir)) {
    return cep::InvalidArgument("input_dir '" + options.input_dir.string() +
                                "' is not a directory");
  }
  if (options.clock == nullptr) options.clock = &kSystemClock;
  auto jobs = std::unique_ptr<ReplayJobs>(new ReplayJobs(std::move(options)));
  jobs->input_dir_ = std::move(input_dir);
  for (size_t i = 0; i < jobs->options_.max_running; ++i) {
    jobs->workers_.emplace_back([raw = jobs.get()] { raw->WorkerLoop(); });
  }
  return jobs;
}

ReplayJobs::ReplayJobs(ReplayJobsOptions options) : options_(std::move(options)) {}

ReplayJobs::~ReplayJobs() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    while (!queue_.empty()) {
      Job* job = queue_.front();
      queue_.pop_front();
      MarkFinished(*job, State::kCancelled, "");
    }
    for (auto& [id, job] : jobs_) job->cancel = true;
  }
  changed_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int64_t ReplayJobs::NowMs() const { return options_.clock->Now().millis(); }

cep::Result<std::string> ReplayJobs::Start(ReplayRequest request) {
  if (request.source.empty()) return cep::InvalidArgument("no ruleset text to replay");
  auto job = std::make_unique<Job>();
  if (!request.topic.empty()) {
    if (options_.kafka_bootstrap.empty()) {
      return cep::FailedPrecondition("topic input needs Kafka, and this service has no brokers");
    }
  } else {
    ASSIGN_OR_RETURN(job->input, ResolveUnder(input_dir_, request.input, "input"));
  }
  if (!request.csv_map.empty()) {
    ASSIGN_OR_RETURN(job->csv_map, ResolveUnder(input_dir_, request.csv_map, "csv_map"));
  }
  std::unique_lock lock(mu_);
  if (shutting_down_) return cep::Unavailable("replay jobs are shutting down");
  if (queue_.size() >= options_.max_queued) {
    return cep::ResourceExhausted(std::to_string(queue_.size()) +
                                  " replays are already waiting; try again later");
  }
  job->id = std::to_string(NowMs()) + "-" + std::to_string(next_id_++);
  job->dir = options_.jobs_dir / job->id;
  job->rules_file = RulesFileName(request.ruleset);
  std::error_code ec;
  fs::create_directories(job->dir, ec);
  if (ec) return cep::Unavailable("cannot create '" + job->dir.string() + "': " + ec.message());
  {
    std::ofstream rules(job->dir / job->rules_file);
    rules << request.source;
    if (!rules) return cep::Unavailable("cannot write '" + (job->dir / job->rules_file).string() + "'");
  }
  job->request = std::move(request);
  std::string id = job->id;
  queue_.push_back(job.get());
  order_.push_back(id);
  jobs_.emplace(id, std::move(job));
  lock.unlock();
  changed_.notify_all();
  return id;
}

cep::Status ReplayJobs::Cancel(std::string_view id) {
  std::unique_lock lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return cep::NotFound("no replay job '" + std::string(id) + "'");
  Job& job = *it->second;
  switch (job.state) {
    case State::kQueued:
      std::erase(queue_, &job);
      MarkFinished(job, State::kCancelled, "");
      break;
    case State::kRunning:
      job.cancel = true;  // its worker signals the child
      break;
    default:
      return cep::FailedPrecondition("replay job '" + std::string(id) + "' already ended (" +
                                     StateName(job.state) + ")");
  }
  lock.unlock();
  changed_.notify_all();
  return cep::Status::Ok();
}

std::optional<nlohmann::json> ReplayJobs::Get(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return JobJson(*it->second, true);
}

nlohmann::json ReplayJobs::List() const {
  std::lock_guard lock(mu_);
  nlohmann::json jobs = nlohmann::json::array();
  for (const std::string& id : order_) jobs.push_back(JobJson(*jobs_.find(id)->second, false));
  return {{"jobs", std::move(jobs)}};
}

std::optional<nlohmann::json> ReplayJobs::WaitFor(
    std::string_view id, const std::function<bool(const nlohmann::json&)>& until,
    std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    nlohmann::json job = JobJson(*it->second, true);
    if (until(job)) return job;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

nlohmann::json ReplayJobs::JobJson(const Job& job, bool with_report) const {
  const ReplayRequest& r = job.request;
  nlohmann::json json = {{"id", job.id},
                         {"state", StateName(job.state)},
                         {"ruleset", r.ruleset},
                         {"version", r.version}};
  if (r.topic.empty()) {
    json["input"] = r.input;
  } else {
    json["topic"] = r.topic;
    json["from_ms"] = r.from_ms;
    json["to_ms"] = r.to_ms;
  }
  const auto events = job.progress.value("events", uint64_t{0});
  const auto bytes_read = job.progress.value("bytes_read", uint64_t{0});
  const auto bytes_total = job.progress.value("bytes_total", uint64_t{0});
  double fraction = 0;
  if (job.state == State::kDone) {
    fraction = 1;
  } else if (bytes_total > 0) {
    fraction = std::min(1.0, static_cast<double>(bytes_read) / static_cast<double>(bytes_total));
  }
  double events_per_second = 0;
  if (job.replay_started_ms) {
    const int64_t until = job.finished_ms.value_or(NowMs());
    const double seconds = static_cast<double>(until - *job.replay_started_ms) / 1000.0;
    if (seconds > 0) events_per_second = static_cast<double>(events) / seconds;
  }
  json["progress"] = {{"events", events},
                      {"bytes_read", bytes_read},
                      {"bytes_total", bytes_total},
                      {"fraction", fraction},
                      {"events_per_second", events_per_second}};
  if (!r.topic.empty()) json["progress"]["topic_records"] = job.topic_records;
  if (!job.phase.empty() && job.state == State::kRunning) json["phase"] = job.phase;
  json["started_ms"] = job.started_ms ? nlohmann::json(*job.started_ms) : nlohmann::json();
  json["finished_ms"] = job.finished_ms ? nlohmann::json(*job.finished_ms) : nlohmann::json();
  if (job.state == State::kFailed) json["error"] = job.error;
  if (with_report && job.report) json["report"] = *job.report;
  return json;
}

void ReplayJobs::WorkerLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
    if (shutting_down_) return;
    Job* job = queue_.front();
    queue_.pop_front();
    job->state = State::kRunning;
    job->started_ms = NowMs();
    lock.unlock();
    changed_.notify_all();
    RunJob(*job);
    lock.lock();
  }
}

void ReplayJobs::ForgetOldJobs() {
  while (finished_.size() > options_.max_kept) {
    auto job = jobs_.find(finished_.front());
    std::error_code ec;
    fs::remove_all(job->second->dir, ec);
    std::erase(order_, finished_.front());
    jobs_.erase(job);
    finished_.pop_front();
  }
}

void ReplayJobs::Finish(Job& job, State state, std::string error) {
  std::unique_lock lock(mu_);
  MarkFinished(job, state, std::move(error));
  lock.unlock();
  changed_.notify_all();
  // `job` may be forgotten from here on.
}

void ReplayJobs::MarkFinished(Job& job, State state, std::string error) {
  job.state = state;
  job.error = std::move(error);
  job.finished_ms = NowMs();
  job.phase.clear();
  if (state == State::kFailed) spdlog::warn("replay job {} failed: {}", job.id, job.error);
  finished_.push_back(job.id);
  ForgetOldJobs();
}

std::vector<std::string> ReplayJobs::ReplayArgs(const Job& job, const fs::path& input,
                                                const std::string& format) const {
  const ReplayRequest& r = job.request;
  // `--flag=value`, one argument: a value that starts with "-" (a client's label
  // field, say) stays a value instead of becoming an option.
  std::vector<std::string> args = {"replay"};
  auto add = [&](const char* flag, const std::string& value) {
    if (!value.empty()) args.push_back(std::string(flag) + "=" + value);
  };
  add("--rules", job.rules_file);
  add("--input", input.string());
  add("--format", format);
  add("--csv-map", job.csv_map.string());
  add("--label-field", r.label_field);
  add("--label-scope", r.label_scope);
  add("--feedback-delay", r.feedback_delay);
  add("--max-out-of-orderness", r.max_out_of_orderness);
  for (const auto& [name, value] : r.set) add("--set", name + "=" + value);
  add("--threads", std::to_string(r.threads));
  add("--report", "report.json");
  add("--alerts", "alerts.jsonl");
  add("--progress", "progress.json");
  return args;
}

void ReplayJobs::RunJob(Job& job) {
  fs::path input = job.input;
  std::string format = job.request.format;
  if (!job.request.topic.empty()) {
    {
      std::lock_guard lock(mu_);
      job.phase = "reading_topic";
    }
    const bool json = options_.input_format == "json";
    input = job.dir / (json ? "topic.jsonl" : "topic.pb");
    format = json ? "jsonl" : "protobuf";
    auto records = internal::ExportTopic({.bootstrap = options_.kafka_bootstrap,
                                          .topic = job.request.topic,
                                          .format = options_.input_format,
                                          .from_ms = job.request.from_ms,
                                          .to_ms = job.request.to_ms,
                                          .out = input,
                                          .spool_dir = job.dir / "spool"},
                                         job.cancel);
    if (!records) {
      const bool cancelled = records.error().code() == cep::StatusCode::kCancelled;
      return Finish(job, cancelled ? State::kCancelled : State::kFailed,
                    "reading topic '" + job.request.topic + "': " + records.error().message());
    }
    std::lock_guard lock(mu_);
    job.topic_records = *records;
  }
  if (job.cancel) return Finish(job, State::kCancelled, "");
  auto child = internal::ChildProcess::Spawn(options_.cep_binary, ReplayArgs(job, input, format),
                                             job.dir, "replay.log");
  if (!child) return Finish(job, State::kFailed, child.error().message());
  {
    std::lock_guard lock(mu_);
    job.phase = "replaying";
    job.replay_started_ms = NowMs();
  }
  changed_.notify_all();
  std::optional<internal::ChildExit> exit;
  std::optional<std::chrono::steady_clock::time_point> terminated;  // when SIGTERM went out
  for (;;) {
    exit = child->Poll();
    auto progress = ReadJsonFile(job.dir / "progress.json");
    {
      std::unique_lock lock(mu_);
      if (progress && progress->is_object() && *progress != job.progress) {
        job.progress = std::move(*progress);
        changed_.notify_all();
      }
      if (exit) break;
      // Wakes at once for a new cancel; otherwise polls.
      changed_.wait_for(lock, kPollInterval, [&] { return job.cancel && !terminated; });
    }
    if (job.cancel && !terminated) {
      child->Signal(SIGTERM);
      terminated = std::chrono::steady_clock::now();
    } else if (terminated && std::chrono::steady_clock::now() - *terminated > options_.kill_grace) {
      child->Signal(SIGKILL);
    }
  }
  if (job.cancel) return Finish(job, State::kCancelled, "");
  if (!exit->ok()) {
    std::string how = exit->signal != 0 ? "killed by signal " + std::to_string(exit->signal)
                                        : "exit code " + std::to_string(exit->exit_code);
    std::string tail = internal::TailOfFile(job.dir / "replay.log", kErrorLines);
    return Finish(job, State::kFailed,
                  "cep replay failed (" + how + ")" + (tail.empty() ? "" : ":\n" + tail));
  }
  auto report = ReadJsonFile(job.dir / "report.json");
  if (!report || !report->is_object()) {
    return Finish(job, State::kFailed, "cep replay wrote no readable report");
  }
  // The child saw the resolved path; clients know what they asked for.
  (*report)["input"] = job.request.topic.empty() ? job.request.input : "topic:" + job.request.topic;
  {
    std::lock_guard lock(mu_);
    job.report = std::move(*report);
  }
  Finish(job, State::kDone, "");
}

}  // namespace api::replay_jobs
