#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <stop_token>
#include <thread>

#include "engine/bench/internal/bench_util.h"
#include "engine/bench/pipeline_bench.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/service/service.h"

namespace engine::bench {
namespace {

using internal::Seconds;
using internal::SteadyClock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

// Produce() wall times by event id number, written by the producer (the caller's
// thread) and read by the alert reader; 0 = not measured (warm-up, or not yet
// produced).
class ProduceTimes {
 public:
  explicit ProduceTimes(uint64_t max_id)
      : size_(max_id + 1), ns_(std::make_unique<std::atomic<int64_t>[]>(size_)) {}
  void Set(uint64_t id, int64_t ns) { ns_[id].store(ns, std::memory_order_release); }
  int64_t Get(uint64_t id) const {
    return id < size_ ? ns_[id].load(std::memory_order_acquire) : 0;
  }

 private:
  uint64_t size_;
  std::unique_ptr<std::atomic<int64_t>[]> ns_;
};

// The alert reader: a consumer outside the service, assigned every partition of
// the alerts topic from its beginning, as a downstream system would read it.
struct Reader {
  const ProduceTimes* times = nullptr;
  bool json = false;
  std::vector<int64_t> latencies_ns;  // reader thread; read after join
  std::atomic<uint64_t> alerts{0};
  uint64_t without_event = 0;
  cep::Status error;

  void Run(std::unique_ptr<kafka::Consumer> consumer, std::stop_token stop) {
    cep::v1::Alert alert;
    while (!stop.stop_requested()) {
      auto batch = consumer->Poll(1024, std::chrono::milliseconds(5));
      const int64_t seen = NowNs();
      if (!batch) {
        error = batch.error();
        break;
      }
      for (const kafka::Record& record : *batch) {
        alerts.fetch_add(1, std::memory_order_relaxed);
        if (!internal::ParseAlert(record.value, json, alert) || !alert.has_event()) {
          ++without_event;
          continue;
        }
        const std::string& id = alert.event();
        uint64_t n = 0;
        if (id.size() < 2 || id[0] != 't' ||
            std::from_chars(id.data() + 1, id.data() + id.size(), n).ec != std::errc{}) {
          continue;
        }
        if (const int64_t produced = times->Get(n); produced > 0) {
          latencies_ns.push_back(seen - produced);
        }
      }
    }
    consumer->Close();
  }
};

// Waits (polling the counters) until `done` holds or `limit` passes.
template <typename Done>
bool WaitFor(Done done, std::chrono::milliseconds limit) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

double Percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto i = std::min(sorted.size() - 1,
                          static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[i]) / 1e6;
}

void Summarize(std::vector<int64_t> ns, LatencyBenchResult& r) {
  std::sort(ns.begin(), ns.end());
  r.measured = ns.size();
  r.p50_ms = Percentile(ns, 0.50);
  r.p90_ms = Percentile(ns, 0.90);
  r.p99_ms = Percentile(ns, 0.99);
  r.max_ms = ns.empty() ? 0 : static_cast<double>(ns.back()) / 1e6;
  double sum = 0;
  for (int64_t v : ns) sum += static_cast<double>(v);
  r.mean_ms = ns.empty() ? 0 : sum / static_cast<double>(ns.size()) / 1e6;
}

}  // namespace

cep::Result<LatencyBenchResult> RunLatencyBench(const std::vector<rules::CompiledRuleset>& rulesets,
                                                std::span<const InputRecord> records,
                                                std::span<const uint64_t> id_numbers,
                                                const LatencyBenchOptions& options,
                                                const Progress& progress) {
  if (options.clock == nullptr) return cep::Unexpected(cep::InvalidArgument("a clock is required"));
  if (options.rate <= 0) return cep::Unexpected(cep::InvalidArgument("the rate must be > 0"));
  if (id_numbers.size() != records.size() || records.size() <= options.warmup) {
    return cep::Unexpected(cep::InvalidArgument("not enough records for the warm-up"));
  }
  const ServiceConfig config = internal::BenchServiceConfig(
      options.partitions, options.slots, options.json_alerts, options.idle_timeout, options.kafka);
  ASSIGN_OR_RETURN(auto broker, internal::StartBroker(config));
  const std::string& bootstrap = broker->bootstrap();
  ProduceTimes times(*std::max_element(id_numbers.begin(), id_numbers.end()));

  ServiceOptions service_options;
  service_options.config = config;
  service_options.bootstrap = bootstrap;
  service_options.rulesets = rulesets;
  service_options.clock = options.clock;
  ASSIGN_OR_RETURN(auto service, Service::Start(std::move(service_options)));
  Reader reader;
  reader.times = &times;
  reader.json = options.json_alerts;
  // The alerts topic has the broker's 4 partitions (StartBroker).
  ASSIGN_OR_RETURN(auto alert_consumer,
                   internal::ConsumeFromStart(bootstrap, config.kafka.alerts_topic, 4,
                                              "cep-bench-alerts", options.kafka.consumer));
  std::jthread reader_thread([&reader, c = std::move(alert_consumer)](std::stop_token stop) mutable {
    reader.Run(std::move(c), stop);
  });

  kafka::ProducerOptions producer_options;
  producer_options.bootstrap = bootstrap;
  producer_options.client_id = "cep-bench-input";
  producer_options.settings = options.kafka.producer;
  ASSIGN_OR_RETURN(auto producer, kafka::Producer::Create(producer_options));
  const std::string& input = config.kafka.input_topic;

  // Warm-up, unmeasured: the group joins (~3 s on the mock), connections open.
  if (progress) progress("latency: warm-up (the service's consumer group joins)");
  for (uint64_t i = 0; i < options.warmup; ++i) {
    RETURN_IF_ERROR(producer->Produce(input, records[i].key, records[i].value));
  }
  RETURN_IF_ERROR(producer->Flush(std::chrono::seconds(10)));
  if (!WaitFor([&] { return service->stats().events >= options.warmup; },
               std::chrono::seconds(30))) {
    return cep::Unexpected(cep::Unavailable("latency: the service did not consume the warm-up"));
  }

  if (progress) {
    progress("latency: producing at " + std::to_string(static_cast<uint64_t>(options.rate)) +
             " events/s for " + std::to_string(options.duration.count()) + " ms");
  }
  LatencyBenchResult result;
  const internal::Stopwatch stopwatch;
  const auto start = SteadyClock::now();
  const auto end = start + options.duration;
  uint64_t i = options.warmup;
  for (; i < records.size(); ++i) {
    const uint64_t sent = i - options.warmup;
    const auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(sent) /
                                                               options.rate));
    if (due >= end) break;
    if (SteadyClock::now() < due) {
      producer->Poll();
      std::this_thread::sleep_until(due);  // pacing the producer, not synchronisation
    }
    times.Set(id_numbers[i], NowNs());
    RETURN_IF_ERROR(producer->Produce(input, records[i].key, records[i].value));
  }
  result.produced = i - options.warmup;
  result.produce_s = Seconds(SteadyClock::now() - start);
  result.achieved_rate =
      result.produce_s > 0 ? static_cast<double>(result.produced) / result.produce_s : 0;
  RETURN_IF_ERROR(producer->Flush(std::chrono::seconds(10)));

  // Drain: every event processed, then the alerts it raised read back.
  if (progress) progress("latency: draining");
  const uint64_t total = i;
  (void)WaitFor([&] { return service->stats().events >= total; }, std::chrono::seconds(30));
  // The last events wait for the idle timeout to release the watermark.
  std::this_thread::sleep_for(options.idle_timeout * 2);  // let the watermark pass the tail
  (void)WaitFor([&] { return reader.alerts.load() >= service->stats().alerts; },
                std::chrono::seconds(10));
  result.timing = stopwatch.Elapsed();
  reader_thread.request_stop();
  reader_thread.join();
  result.events = service->stats().events;
  service->Stop();
  if (!reader.error.ok()) return cep::Unexpected(reader.error);
  if (!service->error().ok()) return cep::Unexpected(service->error());
  result.alerts_read = reader.alerts.load();
  result.without_event = reader.without_event;
  Summarize(std::move(reader.latencies_ns), result);
  return result;
}

}  // namespace engine::bench
