#include <optional>
#include <thread>

#include "engine/bench/internal/bench_util.h"
#include "engine/bench/pipeline_bench.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/service/service.h"

namespace engine::bench {
namespace {

using internal::Seconds;
using internal::SteadyClock;

// How often the run looks at the service's counters: fine enough for runs of
// a second or more.
constexpr auto kStatsInterval = std::chrono::milliseconds(1);

cep::Status PreProduce(const std::string& bootstrap, const std::string& topic,
                       std::span<const InputRecord> records,
                       const std::map<std::string, std::string>& settings) {
  kafka::ProducerOptions options;
  options.bootstrap = bootstrap;
  options.client_id = "cep-bench-input";
  options.settings = settings;
  ASSIGN_OR_RETURN(auto producer, kafka::Producer::Create(options));
  for (const InputRecord& record : records) {
    RETURN_IF_ERROR(producer->Produce(topic, record.key, record.value));
  }
  RETURN_IF_ERROR(producer->Flush(std::chrono::seconds(60)));
  if (producer->failed() > 0 || producer->delivered() != records.size()) {
    return cep::Unavailable("pre-produce: " + std::to_string(producer->delivered()) + " of " +
                            std::to_string(records.size()) + " delivered, " +
                            std::to_string(producer->failed()) + " failed: " +
                            producer->first_error().message());
  }
  return cep::Status::Ok();
}

// Nothing dropped: every partition starts at offset 0 and, together, they hold
// exactly the records produced.
cep::Status CheckComplete(const KafkaBenchResult& r) {
  int64_t kept = 0;
  for (size_t p = 0; p < r.first_offsets.size(); ++p) {
    if (r.first_offsets[p] > 0) {
      return cep::OutOfRange(
          "the embedded broker dropped the oldest " + std::to_string(r.first_offsets[p]) +
          " records of partition " + std::to_string(p) +
          " (it keeps 5 MiB per partition): use fewer --events or more --partitions");
    }
    if (r.end_offsets[p] > 0) kept += r.end_offsets[p];
  }
  if (static_cast<uint64_t>(kept) != r.records || r.read_back_records != r.records) {
    return cep::DataLoss("input topic holds " + std::to_string(kept) + " records (" +
                         std::to_string(r.read_back_records) + " read back), " +
                         std::to_string(r.records) + " were produced");
  }
  return cep::Status::Ok();
}

}  // namespace

cep::Result<KafkaBenchResult> RunKafkaBench(const std::vector<rules::CompiledRuleset>& rulesets,
                                            std::span<const InputRecord> records,
                                            const KafkaBenchOptions& options,
                                            const Progress& progress) {
  if (options.clock == nullptr) return cep::Unexpected(cep::InvalidArgument("a clock is required"));
  ServiceConfig config = internal::BenchServiceConfig(
      options.partitions, options.slots, options.json_alerts, std::chrono::seconds(10),
      options.kafka);
  std::optional<internal::TempDir> data_dir;
  if (options.checkpoint_interval.count() > 0) {
    data_dir.emplace("cep-bench-checkpoints");
    config.state_backend = "rocksdb";
    config.data_dir = data_dir->path().string();
    config.checkpoint_interval = cep::Duration::Millis(options.checkpoint_interval.count());
  }
  ASSIGN_OR_RETURN(auto broker, internal::StartBroker(config));
  const std::string& input = config.kafka.input_topic;
  KafkaBenchResult result;
  result.records = records.size();

  if (progress) {
    progress("kafka: producing " + std::to_string(records.size()) + " records to " +
             std::to_string(options.partitions) + " partitions of the embedded broker");
  }
  {
    const internal::Stopwatch stopwatch;
    RETURN_IF_ERROR(PreProduce(broker->bootstrap(), input, records, options.kafka.producer));
    result.produce = stopwatch.Elapsed();
  }
  if (progress) progress("kafka: reading the input topic back (plain consumer, no group)");
  {
    const internal::Stopwatch stopwatch;
    ASSIGN_OR_RETURN(internal::TopicRead read,
                     internal::ReadTopic(broker->bootstrap(), input, options.partitions,
                                         records.size(), std::chrono::seconds(60),
                                         options.kafka.consumer));
    result.read_back = stopwatch.Elapsed();
    result.read_back.wall_s = Seconds(read.last_seen - read.first_seen);
    result.read_back_records = read.records;
    result.first_offsets = std::move(read.first_offsets);
    result.end_offsets = std::move(read.end_offsets);
  }
  RETURN_IF_ERROR(CheckComplete(result));

  if (progress) progress("kafka: starting the service (a new consumer group joins in ~3 s)");
  ServiceOptions service_options;
  service_options.config = config;
  service_options.bootstrap = broker->bootstrap();
  service_options.rulesets = rulesets;
  service_options.clock = options.clock;
  const auto started = SteadyClock::now();
  ASSIGN_OR_RETURN(auto service, Service::Start(std::move(service_options)));
  const auto deadline = started + options.limit;
  std::optional<internal::Stopwatch> stopwatch;
  SteadyClock::time_point first{};
  while (service->stats().records == 0) {
    if (!service->running() || SteadyClock::now() > deadline) {
      return cep::Unexpected(cep::Unavailable("the service consumed nothing: " +
                                              service->error().message()));
    }
    std::this_thread::sleep_for(kStatsInterval);  // polling the counters, not synchronisation
  }
  stopwatch.emplace();
  first = SteadyClock::now();
  result.group_join_s = Seconds(first - started);
  if (progress) progress("kafka: consuming");
  while (service->stats().events + service->stats().dead_letters < records.size()) {
    if (!service->running() || SteadyClock::now() > deadline) {
      return cep::Unexpected(cep::Unavailable(
          "the service processed " + std::to_string(service->stats().events) + " of " +
          std::to_string(records.size()) + " records in time: " + service->error().message()));
    }
    std::this_thread::sleep_for(kStatsInterval);
  }
  const auto consumed = SteadyClock::now();
  result.consume_s = Seconds(consumed - first);
  service->Stop();
  result.service = stopwatch->Elapsed();
  result.stop_s = Seconds(SteadyClock::now() - consumed);

  const ServiceStats stats = service->stats();
  result.events = stats.events;
  result.alerts = stats.alerts;
  result.dead_letters = stats.dead_letters;
  result.late = stats.late;
  result.produce_errors = stats.produce_errors;
  result.checkpoints = stats.checkpoints;
  if (!service->error().ok()) return cep::Unexpected(service->error());
  service.reset();

  if (progress) progress("kafka: reading the alerts topic back");
  ASSIGN_OR_RETURN(internal::TopicRead alerts,
                   internal::ReadTopic(broker->bootstrap(), config.kafka.alerts_topic, 4,
                                       result.alerts, std::chrono::seconds(30),
                                       options.kafka.consumer));
  result.alerts_in_topic = alerts.records;
  return result;
}

}  // namespace engine::bench
