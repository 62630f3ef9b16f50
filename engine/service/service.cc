#include "engine/service/service.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>

#include "api/proto/alert_json.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/slot_pool.h"
#include "engine/runtime/watermark_tracker.h"
#include "engine/service/record_decoder.h"

namespace engine {
namespace {

constexpr auto kSinkWait = std::chrono::milliseconds(20);
constexpr auto kPollWait = std::chrono::milliseconds(50);
constexpr auto kFlushTimeout = std::chrono::seconds(10);

uint32_t SlotCount(int configured) {
  if (configured > 0) return static_cast<uint32_t>(configured);
  return std::max(1u, std::thread::hardware_concurrency());
}

// One ruleset's share of the service: its decoder (its schema and regex scan),
// its slots, and the sink thread that produces its alerts.
struct Lane {
  rules::CompiledRuleset ruleset;
  std::unique_ptr<RecordDecoder> decoder;
  std::unique_ptr<SlotPool> pool;
  std::unique_ptr<kafka::Producer> producer;  // owned by the sink thread once started
  std::thread sink;
  uint64_t seq = 0;  // arrival order of the events this lane decoded
};

}  // namespace

struct Service::Impl {
  ServiceOptions options;
  std::vector<std::unique_ptr<Lane>> lanes;
  std::unique_ptr<kafka::Consumer> consumer;
  std::unique_ptr<kafka::Producer> side_producer;  // dead letters and late events; source thread
  WatermarkTracker tracker;
  bool late_side_output = false;
  std::map<int32_t, int64_t> next_offsets;  // source thread
  std::jthread source;
  std::once_flag stop_once;

  std::atomic<uint64_t> records{0}, events{0}, dead_letters{0}, late{0}, late_routed{0};
  std::atomic<uint64_t> alerts{0}, shadow_alerts{0}, produce_errors{0};
  std::atomic<int64_t> watermark{cep::EventTime::Min().millis()};
  std::atomic<bool> running{true};

  // HTTP ingest: any thread appends, the source thread takes the lot per loop.
  std::mutex ingest_mutex;
  std::condition_variable ingest_space;
  std::vector<std::string> ingest_queue;  // guarded by ingest_mutex
  bool ingest_closed = false;             // guarded by ingest_mutex: stopping
  std::vector<std::string> ingesting;     // source thread
  int64_t ingest_offset = 0;              // source thread
  mutable std::mutex error_mutex;
  cep::Status error;  // guarded by error_mutex

  explicit Impl(ServiceOptions o)
      : options(std::move(o)),
        tracker(options.config.max_out_of_orderness, options.config.idle_timeout) {}

  void Fail(const cep::Status& status) {
    spdlog::error("service: {}", status.message());
    std::lock_guard lock(error_mutex);
    if (error.ok()) error = status;
  }

  void DeadLetter(const kafka::Record& record, std::string_view reason) {
    dead_letters.fetch_add(1, std::memory_order_relaxed);
    const std::string partition = std::to_string(record.partition);
    const std::string offset = std::to_string(record.offset);
    const kafka::Header headers[] = {{"cep-error", reason},
                                     {"cep-source-topic", record.topic},
                                     {"cep-source-partition", partition},
                                     {"cep-source-offset", offset}};
    // The bytes go as they came, cut to the limit: an oversized record must not
    // fail the dead-letter write too (its size is in the reason).
    std::string_view value = record.value.substr(0, options.max_record_bytes);
    cep::Status status = side_producer->Produce(options.config.kafka.dead_letter_topic, record.key,
                                                value, headers);
    if (!status.ok()) {
      produce_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("dead letter of {}/{}@{} not written: {}", record.topic, record.partition,
                   record.offset, status.message());
    }
  }

  void RouteLate(const kafka::Record& record, cep::EventTime at) {
    late_routed.fetch_add(1, std::memory_order_relaxed);
    const std::string watermark_text = std::to_string(at.millis());
    const kafka::Header headers[] = {{"cep-watermark", watermark_text}};
    if (!side_producer->Produce(options.config.kafka.late_topic, record.key, record.value, headers)
             .ok()) {
      produce_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void DrainIngest(cep::WallTime now, bool close = false) {
    {
      std::lock_guard lock(ingest_mutex);
      ingest_closed = ingest_closed || close;
      ingesting.swap(ingest_queue);
    }
    if (ingesting.empty() && !close) return;
    ingest_space.notify_all();
    for (const std::string& value : ingesting) {
      kafka::Record record;
      record.topic = "http";
      record.partition = Service::kIngestPartition;
      record.offset = ingest_offset++;
      record.value = value;
      OnRecord(record, now);
    }
    ingesting.clear();
  }

  void OnRecord(const kafka::Record& record, cep::WallTime now) {
    records.fetch_add(1, std::memory_order_relaxed);
    if (record.partition != Service::kIngestPartition) next_offsets[record.partition] = record.offset + 1;
    Lane& first = *lanes.front();
    auto event = first.decoder->Decode(record.value, first.seq);
    if (!event) {
      DeadLetter(record, event.error().message());
      return;
    }
    ++first.seq;
    const cep::EventTime ts = event->ts();
    const cep::EventTime before = tracker.watermark();
    if (tracker.Observe(record.partition, ts, now)) {
      late.fetch_add(1, std::memory_order_relaxed);
      if (late_side_output) RouteLate(record, before);
    }
    events.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 1; i < lanes.size(); ++i) {
      Lane& lane = *lanes[i];
      auto own = lane.decoder->Decode(record.value, lane.seq++);
      if (own) lane.pool->Route(std::make_shared<const cep::Event>(std::move(*own)));
    }
    first.pool->Route(std::make_shared<const cep::Event>(std::move(*event)));
  }

  void AdvanceWatermark(cep::WallTime now) {
    const cep::EventTime w = tracker.Advance(now);
    for (auto& lane : lanes) lane->pool->AdvanceWatermark(w);
    watermark.store(w.millis(), std::memory_order_relaxed);
  }

  void RunSource(std::stop_token stop) {
    while (!stop.stop_requested()) {
      auto batch = consumer->Poll(options.poll_batch, kPollWait);
      const cep::WallTime now = options.clock->Now();
      if (!batch) {
        Fail(batch.error());
        break;
      }
      for (const kafka::Record& record : *batch) OnRecord(record, now);
      DrainIngest(now);
      AdvanceWatermark(now);
      side_producer->Poll();
    }
    DrainIngest(options.clock->Now(), /*close=*/true);  // accepted records are not dropped
    // Drain: the slots finish what is queued; nothing fires early.
    for (auto& lane : lanes) lane->pool->Stop();
    for (auto& lane : lanes) {
      if (lane->sink.joinable()) lane->sink.join();
    }
    if (!side_producer->Flush(kFlushTimeout).ok()) spdlog::warn("dead letters not all flushed");
    std::vector<kafka::PartitionOffset> offsets;
    for (const auto& [partition, offset] : next_offsets) {
      offsets.push_back({{options.config.kafka.input_topic, partition}, offset});
    }
    if (!offsets.empty()) {
      if (cep::Status s = consumer->Commit(offsets); !s.ok()) {
        spdlog::warn("offsets not committed: {}", s.message());
      }
    }
    consumer->Close();
    running.store(false);
  }

  void RunSink(Lane& lane) {
    SlotPool::Output out;
    const KafkaConfig& kafka = options.config.kafka;
    const bool json = kafka.alert_format == "json";
    std::string bytes;
    for (;;) {
      lane.pool->Collect(out, kSinkWait);
      for (const cep::v1::Alert& alert : out.alerts) {
        bytes = json ? wire::AlertToJson(alert) : alert.SerializeAsString();
        const bool shadow = alert.mode() == cep::v1::Alert::MODE_SHADOW;
        cep::Status status =
            lane.producer->Produce(shadow ? kafka.shadow_topic : kafka.alerts_topic, alert.key(), bytes);
        if (!status.ok()) {
          produce_errors.fetch_add(1, std::memory_order_relaxed);
          spdlog::error("alert {} not produced: {}", alert.alert_id(), status.message());
        } else {
          (shadow ? shadow_alerts : alerts).fetch_add(1, std::memory_order_relaxed);
        }
        if (options.on_alert) options.on_alert(alert);
      }
      out.alerts.clear();
      lane.producer->Poll();
      if (out.finished) break;
    }
    if (!lane.producer->Flush(kFlushTimeout).ok()) {
      spdlog::warn("{}: alerts still in flight after {} s", lane.ruleset.program->ruleset,
                   std::chrono::duration_cast<std::chrono::seconds>(kFlushTimeout).count());
    }
  }
};

cep::Result<std::unique_ptr<Service>> Service::Start(ServiceOptions options) {
  if (options.clock == nullptr) return cep::Unexpected(cep::InvalidArgument("a clock is required"));
  if (options.rulesets.empty()) {
    return cep::Unexpected(cep::InvalidArgument("no ruleset to run: give at least one"));
  }
  auto format = ParseRecordFormat(options.config.kafka.input_format);
  if (!format) return cep::Unexpected(format.error());
  auto impl = std::make_unique<Impl>(std::move(options));
  const ServiceConfig& config = impl->options.config;
  const uint32_t slots = SlotCount(config.slots);

  kafka::ProducerOptions producer_options;
  producer_options.bootstrap = impl->options.bootstrap;
  producer_options.settings = config.kafka.producer_settings;
  // Alerts are few and wanted at once: batch for at most 1 ms (librdkafka's
  // default is 5 ms). A setting in the config wins.
  producer_options.settings.try_emplace("linger.ms", "1");
  for (rules::CompiledRuleset& ruleset : impl->options.rulesets) {
    auto lane = std::make_unique<Lane>();
    lane->ruleset = ruleset;
    lane->decoder = std::make_unique<RecordDecoder>(lane->ruleset, *format, config.id_field,
                                                    impl->options.max_record_bytes);
    lane->pool = std::make_unique<SlotPool>(ruleset.program,
                                            SlotPoolOptions{slots, config.queue_capacity});
    impl->late_side_output = impl->late_side_output || lane->pool->wants_late_side_output();
    producer_options.client_id = "cep-alerts-" + ruleset.program->ruleset;
    ASSIGN_OR_RETURN(lane->producer, kafka::Producer::Create(producer_options));
    impl->lanes.push_back(std::move(lane));
  }
  producer_options.client_id = "cep-side";
  ASSIGN_OR_RETURN(impl->side_producer, kafka::Producer::Create(producer_options));

  kafka::ConsumerOptions consumer_options;
  consumer_options.bootstrap = impl->options.bootstrap;
  consumer_options.group_id = config.kafka.group_id;
  consumer_options.client_id = "cep-source";
  consumer_options.topics = {config.kafka.input_topic};
  consumer_options.settings = config.kafka.consumer_settings;
  Impl* raw = impl.get();
  consumer_options.on_rebalance = [raw](const kafka::RebalanceEvent& event) {
    const cep::WallTime now = raw->options.clock->Now();
    for (const kafka::TopicPartition& tp : event.partitions) {
      if (event.kind == kafka::RebalanceEvent::Kind::kAssigned) {
        raw->tracker.Assign(tp.partition, now);
      } else {
        raw->tracker.Revoke(tp.partition);
      }
    }
    spdlog::info("{} {} partition(s) of {}",
                 event.kind == kafka::RebalanceEvent::Kind::kAssigned ? "assigned" : "revoked",
                 event.partitions.size(), raw->options.config.kafka.input_topic);
  };
  ASSIGN_OR_RETURN(impl->consumer, kafka::Consumer::Create(consumer_options));

  for (auto& lane : impl->lanes) {
    Lane* l = lane.get();
    lane->sink = std::thread([raw, l] { raw->RunSink(*l); });
  }
  impl->source = std::jthread([raw](std::stop_token stop) { raw->RunSource(stop); });
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() { Stop(); }

void Service::Stop() {
  std::call_once(impl_->stop_once, [this] {
    impl_->source.request_stop();
    if (impl_->source.joinable()) impl_->source.join();
  });
}

bool Service::running() const { return impl_->running.load(); }

size_t Service::Ingest(std::vector<std::string> records, std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t queued = 0;
  std::unique_lock lock(i.ingest_mutex);
  for (std::string& record : records) {
    const bool space = i.ingest_space.wait_until(lock, deadline, [&] {
      return i.ingest_queue.size() < i.options.ingest_capacity || i.ingest_closed;
    });
    if (!space || i.ingest_closed) break;
    i.ingest_queue.push_back(std::move(record));
    ++queued;
  }
  return queued;
}

cep::Status Service::error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->error;
}

ServiceStats Service::stats() const {
  const Impl& i = *impl_;
  ServiceStats s;
  s.records = i.records.load();
  s.events = i.events.load();
  s.dead_letters = i.dead_letters.load();
  s.late = i.late.load();
  s.late_routed = i.late_routed.load();
  s.alerts = i.alerts.load();
  s.shadow_alerts = i.shadow_alerts.load();
  s.produce_errors = i.produce_errors.load();
  s.watermark = cep::EventTime::FromMillis(i.watermark.load());
  for (const auto& lane : i.lanes) {
    for (uint32_t slot = 0; slot < lane->pool->slots(); ++slot) {
      s.queue_depths.push_back(lane->pool->queue_depth(slot));
    }
  }
  return s;
}

}  // namespace engine
