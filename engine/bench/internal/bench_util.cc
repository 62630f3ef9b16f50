#include "engine/bench/internal/bench_util.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>

#include "api/proto/alert_json.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"

namespace engine::bench::internal {
namespace {

double TimevalSeconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

void CpuNow(double& user_s, double& sys_s) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  user_s = TimevalSeconds(usage.ru_utime);
  sys_s = TimevalSeconds(usage.ru_stime);
}

}  // namespace

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

Stopwatch::Stopwatch() : start_(SteadyClock::now()) { CpuNow(user_s_, sys_s_); }

Timing Stopwatch::Elapsed() const {
  Timing t;
  t.wall_s = Seconds(SteadyClock::now() - start_);
  double user_s = 0, sys_s = 0;
  CpuNow(user_s, sys_s);
  t.cpu_user_s = user_s - user_s_;
  t.cpu_sys_s = sys_s - sys_s_;
  return t;
}

ServiceConfig BenchServiceConfig(int partitions, uint32_t slots, bool json_alerts,
                                 std::chrono::milliseconds idle_timeout, const KafkaTuning& tuning) {
  // Each run gets a group no earlier run has used: it starts from the beginning
  // of the topic, with no committed offsets.
  static std::atomic<int> runs{0};
  ServiceConfig config;
  config.kafka.embedded_partitions = partitions;
  config.kafka.alert_format = json_alerts ? "json" : "protobuf";
  config.kafka.group_id = "cep-bench-" + std::to_string(runs.fetch_add(1));
  // The mock delays a rejoin by session.timeout.ms - 1 s (api/cli/service_launch.cc).
  config.kafka.consumer_settings["session.timeout.ms"] = "6000";
  for (const auto& [name, value] : tuning.consumer) config.kafka.consumer_settings[name] = value;
  config.kafka.producer_settings = tuning.producer;
  config.slots = static_cast<int>(slots);
  config.max_out_of_orderness = cep::Duration::Zero();
  config.idle_timeout = cep::Duration::Millis(idle_timeout.count());
  config.state_backend = "none";  // `cep bench kafka --checkpoint-interval` turns them on
  return config;
}

TempDir::TempDir(std::string_view prefix) {
  static std::atomic<int> made{0};
  path_ = std::filesystem::temp_directory_path() /
          (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(made.fetch_add(1)));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

cep::Result<std::unique_ptr<kafka::EmbeddedBroker>> StartBroker(const ServiceConfig& config) {
  ASSIGN_OR_RETURN(auto broker, kafka::EmbeddedBroker::Start({}));
  const KafkaConfig& k = config.kafka;
  RETURN_IF_ERROR(broker->CreateTopic(k.input_topic, k.embedded_partitions));
  for (const std::string& topic : {k.alerts_topic, k.shadow_topic, k.late_topic,
                                   k.dead_letter_topic}) {
    RETURN_IF_ERROR(broker->CreateTopic(topic, 4));
  }
  return broker;
}

cep::Result<std::unique_ptr<kafka::Consumer>> ConsumeFromStart(
    const std::string& bootstrap, const std::string& topic, int partitions,
    const std::string& client_id, const std::map<std::string, std::string>& settings) {
  kafka::ConsumerOptions options;
  options.bootstrap = bootstrap;
  options.client_id = client_id;
  options.settings = settings;
  ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Create(options));
  std::vector<kafka::PartitionOffset> assignment;
  for (int32_t p = 0; p < partitions; ++p) {
    assignment.push_back({{topic, p}, kafka::kOffsetBeginning});
  }
  RETURN_IF_ERROR(consumer->Assign(assignment));
  return consumer;
}

cep::Result<TopicRead> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                 int partitions, uint64_t want, std::chrono::milliseconds limit,
                                 const std::map<std::string, std::string>& settings) {
  ASSIGN_OR_RETURN(auto consumer,
                   ConsumeFromStart(bootstrap, topic, partitions, "cep-bench-reader", settings));
  TopicRead read;
  read.first_offsets.assign(static_cast<size_t>(partitions), -1);
  read.end_offsets.assign(static_cast<size_t>(partitions), -1);
  const auto deadline = SteadyClock::now() + limit;
  while (SteadyClock::now() < deadline) {
    if (read.records >= want && consumer->AtEndOfAllAssigned()) break;
    ASSIGN_OR_RETURN(auto batch, consumer->Poll(4096, std::chrono::milliseconds(100)));
    if (!batch.empty()) {
      read.last_seen = SteadyClock::now();
      if (read.records == 0) read.first_seen = read.last_seen;
    }
    for (const kafka::Record& r : batch) {
      ++read.records;
      const auto p = static_cast<size_t>(r.partition);
      if (p >= read.first_offsets.size()) continue;
      if (read.first_offsets[p] < 0) read.first_offsets[p] = r.offset;
      read.end_offsets[p] = r.offset + 1;
    }
  }
  consumer->Close();
  return read;
}

bool ParseAlert(std::string_view value, bool json, cep::v1::Alert& out) {
  if (!json) return out.ParseFromArray(value.data(), static_cast<int>(value.size()));
  auto parsed = wire::AlertFromJson(value);
  if (!parsed) return false;
  out = std::move(*parsed);
  return true;
}

}  // namespace engine::bench::internal
