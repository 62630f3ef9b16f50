#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cep/base/clock.h"
#include "cep/base/result.h"

namespace api::replay_jobs {

struct ReplayJobsOptions {
  std::filesystem::path cep_binary;  // the `cep` to run (service: /proc/self/exe; tests: the built one)
  // Each job gets jobs_dir/<id>/: rules.rules, progress.json, report.json,
  // alerts.jsonl, replay.log (the child's stdout and stderr), and for topic input
  // the records read. Created if missing. A forgotten job's directory is removed.
  std::filesystem::path jobs_dir;
  // `input` and `csv_map` paths are relative to this directory and must stay inside
  // it after resolving symlinks (absolute paths and `..` escapes: kInvalidArgument).
  std::filesystem::path input_dir;
  size_t max_running = 1;   // replays at once; more jobs wait queued
  size_t max_queued = 16;   // Start beyond this: kResourceExhausted
  size_t max_kept = 100;    // finished jobs remembered (the first to end is forgotten first)
  std::string kafka_bootstrap;            // for topic input; empty: topic input refused
  std::string input_format = "protobuf";  // of the topic: protobuf | json
  const cep::Clock* clock = nullptr;      // started_ms/finished_ms; nullptr: the system clock
  // SIGTERM first; SIGKILL when the child is still there after this long.
  std::chrono::milliseconds kill_grace = std::chrono::seconds(5);
};

enum class JobState;  // queued, running, done, failed, cancelled (replay_jobs.cc)

// One `POST /v1/replays` body, validated. `source` (the ruleset's text) is left
// empty by ParseReplayRequest: the route handler resolves ruleset + version.
struct ReplayRequest {
  std::string ruleset;
  uint32_t version = 0;  // 0: not given (the handler picks, e.g. the active version)
  std::string source;    // ruleset text
  std::string input;     // file under ReplayJobsOptions::input_dir; or `topic`
  std::string format, csv_map, label_field, label_scope, feedback_delay, max_out_of_orderness;
  std::map<std::string, std::string> set;  // const overrides, NAME -> VALUE
  int threads = 0;                         // 0: one per core
  std::string topic;                       // Kafka topic instead of `input`
  int64_t from_ms = 0;                                       // record timestamps >= from
  int64_t to_ms = std::numeric_limits<int64_t>::max();       // and < to
};

// Checks a request body field by field: every problem in one message, each naming
// the field ("'threads': expected an integer 0..256"). Unknown fields are errors.
// `from`/`to` are integer milliseconds or ISO-8601 strings. kInvalidArgument.
cep::Result<ReplayRequest> ParseReplayRequest(const nlohmann::json& body);

// Runs replay jobs for the REST API (`/v1/replays`): each job is a `cep replay`
// child process (posix_spawn, its own process group, signal mask and dispositions
// reset, every inherited descriptor above stderr closed) whose progress file is
// polled. A topic job first reads the topic's records in [from, to) into a file
// in its directory, then replays that file.
//
// Threads: max_running worker threads, each taking queued jobs in order and
// supervising one child at a time (waitpid and the progress file every 200 ms).
// Every public method is safe to call from any thread (one mutex).
//
// Job JSON (Get): {"id", "state": "queued|running|done|failed|cancelled",
// "ruleset", "version", "input" | "topic"+"from_ms"+"to_ms", "progress": {"events",
// "bytes_read", "bytes_total", "fraction", "events_per_second"}, "started_ms",
// "finished_ms", "error", "report"}: started/finished only once reached, error
// only when failed, report only when done.
class ReplayJobs {
 public:
  // InvalidArgument for bad options; Unavailable when jobs_dir cannot be made.
  static cep::Result<std::unique_ptr<ReplayJobs>> Create(ReplayJobsOptions options);
  // Cancels every queued and running job (SIGTERM, then SIGKILL after
  // kill_grace) and joins the workers.
  ~ReplayJobs();
  ReplayJobs(const ReplayJobs&) = delete;
  ReplayJobs& operator=(const ReplayJobs&) = delete;

  // Queues a job; returns its id. kInvalidArgument for a bad input path or topic
  // input without kafka_bootstrap, kNotFound for a missing input file,
  // kResourceExhausted when max_queued jobs already wait, kUnavailable when the
  // job directory cannot be written. Rule text errors show later: the job fails
  // with the compiler's messages.
  cep::Result<std::string> Start(ReplayRequest request);
  // The job's JSON (above), or nullopt for an unknown (or forgotten) id.
  std::optional<nlohmann::json> Get(std::string_view id) const;
  // {"jobs": [job JSON without "report", ...]}, oldest first.
  nlohmann::json List() const;
  // Cancels a queued job at once, a running one by signalling its child (the
  // state turns "cancelled" when it has exited). kNotFound; kFailedPrecondition
  // for a finished job.
  cep::Status Cancel(std::string_view id);

  // Waits until `until(job JSON)` holds or `timeout` passes; the job JSON then, or
  // nullopt (timeout or unknown id). Woken by every state or progress change: for
  // tests and long polls, no sleeping.
  std::optional<nlohmann::json> WaitFor(std::string_view id,
                                        const std::function<bool(const nlohmann::json&)>& until,
                                        std::chrono::milliseconds timeout) const;

 private:
  struct Job;
  explicit ReplayJobs(ReplayJobsOptions options);
  void WorkerLoop();
  // Runs one job to its end on a worker thread: topic export, child, report.
  void RunJob(Job& job);
  std::vector<std::string> ReplayArgs(const Job& job, const std::filesystem::path& input,
                                      const std::string& format) const;
  void Finish(Job& job, JobState state, std::string error);
  void MarkFinished(Job& job, JobState state, std::string error);  // needs mu_
  void ForgetOldJobs();  // needs mu_
  nlohmann::json JobJson(const Job& job, bool with_report) const;  // needs mu_
  int64_t NowMs() const;

  const ReplayJobsOptions options_;
  std::filesystem::path input_dir_;  // canonical

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // any job changed, or shutting down
  std::map<std::string, std::unique_ptr<Job>, std::less<>> jobs_;  // guarded by mu_
  std::deque<std::string> order_;     // ids, oldest first; guarded by mu_
  std::deque<Job*> queue_;            // queued jobs, FIFO; guarded by mu_
  std::deque<std::string> finished_;  // ids in the order they ended; guarded by mu_
  uint64_t next_id_ = 1;              // guarded by mu_
  bool shutting_down_ = false;        // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace api::replay_jobs
