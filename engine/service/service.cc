#include "engine/service/service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>
#include <utility>

#include "api/proto/alert_json.h"
#include "engine/checkpoint/alert_read_back.h"
#include "engine/checkpoint/checkpoint_coordinator.h"
#include "engine/checkpoint/shared_checkpoints.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"
#include "engine/runtime/slot_pool.h"
#include "engine/runtime/watermark_tracker.h"
#include "engine/service/latency_histogram.h"
#include "engine/service/record_decoder.h"
#include "state/checkpoint_storage.h"

namespace engine {
namespace {

constexpr auto kSinkWait = std::chrono::milliseconds(20);
constexpr auto kPollWait = std::chrono::milliseconds(50);
constexpr auto kFlushTimeout = std::chrono::seconds(10);
constexpr auto kMetadataTimeout = std::chrono::seconds(5);
constexpr auto kReadBackTimeout = std::chrono::seconds(60);
constexpr auto kFinalCheckpointTimeout = std::chrono::seconds(60);

uint32_t SlotCount(int configured) {
  if (configured > 0) return static_cast<uint32_t>(configured);
  return std::max(1u, std::thread::hardware_concurrency());
}

// One ruleset's share of the service: its decoder (its schema and regex scan),
// its slots, and the sink thread that produces its alerts.
struct Lane {
  std::string name;  // the ruleset's, "<ruleset>@shadow" in shadow mode: names its checkpoint streams
  std::string ruleset_name;
  bool shadow = false;
  rules::CompiledRuleset ruleset;  // written by the source thread under lanes_mutex
  std::unique_ptr<RecordDecoder> decoder;
  std::unique_ptr<RecordDecoder> json_decoder;  // HTTP ingest sends JSON whatever the input format
  std::unique_ptr<SlotPool> pool;
  std::unique_ptr<kafka::Producer> producer;  // owned by the sink thread once started
  std::thread sink;
  uint64_t seq = 0;  // arrival order of the events this lane decoded
  uint64_t flushed_barrier = 0;  // sink thread: the last barrier whose alerts are acknowledged
  bool delivery_failed = false;  // sink thread: Kafka refused an alert for good
  // Alerts by rule and kind (match, timeout, window), counted by the sink thread.
  mutable std::mutex kinds_mutex;
  std::map<std::string, std::array<uint64_t, 3>> kinds;  // guarded by kinds_mutex
  // The live shadow diff of this ruleset, when it runs in both modes.
  mutable std::mutex diff_mutex;
  std::shared_ptr<ShadowDiff> diff;  // guarded by diff_mutex

  std::shared_ptr<ShadowDiff> shadow_diff() const {
    std::lock_guard lock(diff_mutex);
    return diff;
  }
  void set_shadow_diff(std::shared_ptr<ShadowDiff> d) {
    std::lock_guard lock(diff_mutex);
    diff = std::move(d);
  }
};

// Gathers what the slots of a lane report after a swap into one report.
class SwapCollector {
 public:
  SwapCollector(uint32_t slots, ActivationReport report,
                std::shared_ptr<std::promise<cep::Result<ActivationReport>>> done)
      : remaining_(slots), report_(std::move(report)), done_(std::move(done)) {}

  void Add(SwapSlotResult result) {
    std::lock_guard lock(mutex_);
    report_.pause_ms = std::max(report_.pause_ms, static_cast<double>(result.pause.count()) / 1000.0);
    report_.keys_kept += result.keys_kept;
    report_.keys_dropped += result.keys_dropped;
    for (const auto& [rule, reason] : result.failures) failures_.emplace(rule, reason);
    if (--remaining_ != 0) return;
    for (RuleSwapOutcome& outcome : report_.rules) {
      auto failed = failures_.find(outcome.rule);
      if (failed != failures_.end() && outcome.state == "kept") {
        outcome.state = "started_empty";
        outcome.reason = "state not carried over (" + failed->second + ")";
      }
    }
    done_->set_value(report_);
  }

 private:
  std::mutex mutex_;
  uint32_t remaining_;
  ActivationReport report_;
  std::map<std::string, std::string> failures_;  // rule -> why its state did not carry over
  std::shared_ptr<std::promise<cep::Result<ActivationReport>>> done_;
};

// Per rule of `next`, and for each rule of `before` it lacks: kept when the
// compiled form is unchanged (state carries over), else why it starts empty.
std::vector<RuleSwapOutcome> CompareRules(const cep::Program* before, const cep::Program& next) {
  std::vector<RuleSwapOutcome> out;
  for (const cep::Rule& rule : next.rules) {
    const cep::Rule* old = nullptr;
    if (before != nullptr) {
      for (const cep::Rule& r : before->rules) {
        if (r.name == rule.name) old = &r;
      }
    }
    if (before == nullptr) {
      out.push_back({rule.name, "started_empty", "first activation in this mode"});
    } else if (old == nullptr) {
      out.push_back({rule.name, "started_empty", "new rule"});
    } else if (old->fingerprint != rule.fingerprint || old->fingerprint == 0 ||
               old->is_pattern() != rule.is_pattern()) {
      out.push_back({rule.name, "started_empty", "rule changed"});
    } else {
      out.push_back({rule.name, "kept", ""});
    }
  }
  if (before != nullptr) {
    for (const cep::Rule& r : before->rules) {
      const bool gone = std::none_of(next.rules.begin(), next.rules.end(),
                                     [&](const cep::Rule& n) { return n.name == r.name; });
      if (gone) out.push_back({r.name, "removed", "not in this version"});
    }
  }
  return out;
}

// A checkpoint's input offsets as Kafka commits them.
std::vector<kafka::PartitionOffset> KafkaOffsets(const std::vector<state::SourceOffset>& offsets) {
  std::vector<kafka::PartitionOffset> out;
  for (const state::SourceOffset& o : offsets) out.push_back({{o.topic, o.partition}, o.next_offset});
  return out;
}

// The number of slots a checkpoint's streams of `ruleset` were written by
// ("<ruleset>/slot-<i>/..."), 0 when it has none.
uint32_t SlotsInCheckpoint(const state::Manifest& manifest, const std::string& ruleset) {
  const std::string prefix = ruleset + "/slot-";
  uint32_t slots = 0;
  for (const state::StateStream& stream : manifest.streams) {
    if (stream.name.rfind(prefix, 0) != 0) continue;
    const uint32_t slot = static_cast<uint32_t>(std::stoul(stream.name.substr(prefix.size())));
    slots = std::max(slots, slot + 1);
  }
  return slots;
}

// Scale-out: this instance's directory name under shared_state_dir.
std::string InstanceName(const ServiceConfig& config) {
  if (!config.instance_id.empty()) return config.instance_id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "cep";
  return host;
}

}  // namespace

struct Service::Impl {
  ServiceOptions options;
  RecordDecoder::Format format = RecordDecoder::Format::kProtobuf;
  kafka::ProducerOptions producer_options;  // a new lane's alert producer
  // The source thread changes the set (and a lane's ruleset) under the mutex;
  // it reads without. Other threads (stats, REST) read under the mutex.
  mutable std::mutex lanes_mutex;
  std::vector<std::unique_ptr<Lane>> lanes;
  // Ruleset changes and slot visits from REST, run by the source thread in
  // order between records; a command returns false to be tried again later.
  std::mutex control_mutex;
  std::condition_variable control_added;
  std::deque<std::function<bool()>> control;  // guarded by control_mutex
  // Partition figures for metrics, refreshed by the source thread.
  mutable std::mutex figures_mutex;
  std::vector<PartitionFigures> partition_figures;  // guarded by figures_mutex
  cep::WallTime figures_taken;                       // source thread
  std::atomic<bool> consuming{false};
  std::unique_ptr<kafka::Consumer> consumer;
  std::unique_ptr<kafka::Producer> side_producer;  // dead letters and late events; source thread
  WatermarkTracker tracker;
  bool late_side_output = false;
  std::map<int32_t, int64_t> next_offsets;  // source thread
  // Checkpoints (null without): the store, its checkpoints, the coordinator,
  // and what the previous run wrote after the restored checkpoint.
  std::unique_ptr<state::StateStore> owned_store;
  std::unique_ptr<state::CheckpointStorage> storage;
  std::unique_ptr<CheckpointCoordinator> coordinator;
  std::unique_ptr<AlertReadBack> read_back = std::make_unique<AlertReadBack>();
  std::optional<state::Manifest> restored;
  // Scale-out (config shared_state_dir): checkpoints published for the other
  // instances; partitions restored from them when assigned (OnAssign) and
  // handed over when revoked (HandOver). Null for a single instance.
  std::unique_ptr<SharedCheckpoints> shared;
  bool stopping = false;  // source thread: the last hand-over is done, lanes stay stopped
  std::future<void> publishing;  // source thread: the export of the last checkpoint
  std::atomic<uint64_t> assignments{0}, hand_overs{0};  // scale-out: restores, hand-overs
  bool input_assigned = false;               // source thread: assign mode started
  cep::WallTime last_checkpoint;             // source thread
  uint64_t checkpointed_records = 0;         // source thread: `records` at the last barrier
  cep::EventTime checkpointed_watermark = cep::EventTime::Min();  // source thread
  // Alert topic positions for the next checkpoint, asked for on a task of
  // their own (SinkPositions) with a consumer of their own.
  std::unique_ptr<kafka::Consumer> positions_consumer;
  std::vector<kafka::TopicPartition> sink_partitions;  // the positions task's
  std::future<cep::Result<std::vector<state::SinkPosition>>> positions;  // source thread
  std::jthread source;
  std::once_flag stop_once;

  std::atomic<uint64_t> records{0}, events{0}, dead_letters{0}, late{0}, late_routed{0};
  std::atomic<uint64_t> alerts{0}, shadow_alerts{0}, produce_errors{0}, already_written{0};
  std::atomic<uint64_t> ingested{0};
  LatencyHistogram alert_latency;
  std::atomic<int64_t> watermark{cep::EventTime::Min().millis()};
  std::atomic<bool> running{true};

  // HTTP ingest: any thread appends, the source thread takes the lot per loop.
  std::mutex ingest_mutex;
  std::condition_variable ingest_space;
  struct IngestRecord {
    std::string value;
    bool json = false;  // else the input format
  };
  std::vector<IngestRecord> ingest_queue;  // guarded by ingest_mutex
  bool ingest_closed = false;              // guarded by ingest_mutex: stopping
  std::vector<IngestRecord> ingesting;     // source thread
  int64_t ingest_offset = 0;              // source thread
  mutable std::mutex error_mutex;
  cep::Status error;  // guarded by error_mutex

  // kafka.exactly_once: transactions. One transactional producer and one sink
  // thread for every ruleset; a transaction per checkpoint, committed with the
  // checkpoint's input offsets once its manifest is written.
  bool transactions = false;
  std::unique_ptr<kafka::Producer> txn_producer;  // the transactional sink thread's
  std::thread txn_sink;
  std::mutex txn_mutex;
  std::optional<state::Manifest> txn_to_commit;  // guarded by txn_mutex: written, not committed
  std::atomic<uint64_t> txn_committed{0};        // the last checkpoint whose transaction committed
  uint64_t released_barrier = 0;                 // source thread: released to the slots
  uint64_t last_barrier = 0;                     // source thread

  explicit Impl(ServiceOptions o)
      : options(std::move(o)),
        tracker(options.config.max_out_of_orderness, options.config.idle_timeout) {}

  // Opens the checkpoint store and finds the checkpoint to start from.
  cep::Status OpenCheckpoints() {
    const ServiceConfig& config = options.config;
    if (config.state_backend == "none") return cep::Status();
    state::StateStore* store = options.state_store;
    const std::filesystem::path dir = config.data_dir;
    std::error_code failed;
    std::filesystem::create_directories(dir, failed);
    if (failed) {
      return cep::Unavailable("cannot create data_dir '" + dir.string() + "': " + failed.message());
    }
    if (store == nullptr) {
      if (config.state_backend == "memory") {
        owned_store = state::NewMemoryStore();
      } else {
        ASSIGN_OR_RETURN(owned_store, state::OpenRocksDbStore(dir / "state"));
      }
      store = owned_store.get();
    }
    ASSIGN_OR_RETURN(storage, state::CheckpointStorage::Open(dir / "checkpoints", *store));
    const auto started = std::chrono::steady_clock::now();
    if (!config.shared_state_dir.empty()) {
      // Partitions' state comes from the shared directory when they are
      // assigned, whoever checkpointed them last.
      shared = std::make_unique<SharedCheckpoints>(config.shared_state_dir, InstanceName(config),
                                                   config.kafka.input_topic);
      std::filesystem::create_directories(config.shared_state_dir, failed);
      if (failed) {
        return cep::Unavailable("cannot create shared_state_dir '" + config.shared_state_dir +
                                "': " + failed.message());
      }
      spdlog::info("scaling out: group {}, publishing checkpoints to {}/{}", config.kafka.group_id,
                   config.shared_state_dir, shared->instance());
    } else if (transactions) {
      ASSIGN_OR_RETURN(restored, CheckpointOfCommittedTransaction());
    } else {
      ASSIGN_OR_RETURN(restored, storage->LoadLatestValid());
    }
    uint64_t next_id = 1;
    for (uint64_t id : storage->List()) next_id = std::max(next_id, id + 1);
    std::function<void(const state::Manifest&)> on_committed;
    if (transactions) {
      on_committed = [this](const state::Manifest& manifest) {
        std::lock_guard lock(txn_mutex);
        txn_to_commit = manifest;
      };
    }
    coordinator = std::make_unique<CheckpointCoordinator>(*storage, next_id,
                                                          std::chrono::minutes(5), on_committed);
    if (!restored) {
      if (!shared) spdlog::info("no checkpoint in {}: starting empty", (dir / "checkpoints").string());
      return cep::Status();
    }
    spdlog::info("restoring checkpoint {} ({} bytes of state, watermark {}), verified in {} ms",
                 restored->id, restored->state_bytes(), restored->watermark_ms,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
    return cep::Status();
  }

  // Kafka transactions: the checkpoint to restore is the one whose input
  // offsets the consumer group committed with the last transaction (a newer
  // manifest whose transaction did not commit is skipped: its alerts were
  // aborted, and restoring the older one raises them again).
  cep::Result<std::optional<state::Manifest>> CheckpointOfCommittedTransaction() {
    const KafkaConfig& kafka = options.config.kafka;
    // The input group itself: its committed offsets are the question.
    ASSIGN_OR_RETURN(auto probe, kafka::Consumer::Create(HelperConsumerOptions("cep-restore", "")));
    std::map<int32_t, int64_t> committed;
    if (auto partitions = probe->Partitions(kafka.input_topic, kMetadataTimeout)) {
      std::vector<kafka::TopicPartition> tps;
      for (int32_t p : *partitions) tps.push_back({kafka.input_topic, p});
      ASSIGN_OR_RETURN(auto offsets, probe->Committed(tps, kMetadataTimeout));
      for (const kafka::PartitionOffset& o : offsets) {
        if (o.offset >= 0) committed[o.tp.partition] = o.offset;
      }
    }
    probe->Close();
    for (uint64_t id : storage->List()) {
      auto manifest = storage->Load(id);
      if (!manifest) {
        spdlog::warn("checkpoint {} is unusable ({}); trying the one before", id,
                     manifest.error().message());
        continue;
      }
      std::map<int32_t, int64_t> offsets;
      for (const state::SourceOffset& o : manifest->offsets) {
        if (o.topic == kafka.input_topic) offsets[o.partition] = o.next_offset;
      }
      if (offsets == committed) return std::optional<state::Manifest>(std::move(*manifest));
      spdlog::info("checkpoint {} does not match the offsets group {} committed: its transaction "
                   "did not commit; trying the one before",
                   id, kafka.group_id);
    }
    if (committed.empty() && !storage->List().empty()) {
      spdlog::warn("group {} has no committed input offsets: no checkpoint's transaction "
                   "committed, starting from the beginning (the embedded broker never stores "
                   "offsets committed in a transaction)",
                   kafka.group_id);
    }
    if (!committed.empty()) {
      return cep::Unexpected(cep::DataLoss(
          "no checkpoint matches the input offsets group " + kafka.group_id +
          " committed with its last transaction (restore a savepoint, or reset the group's "
          "offsets and move the data directory away to start over)"));
    }
    return std::optional<state::Manifest>();
  }

  // Gives a lane's slots their state back, and its event counter.
  cep::Status RestoreLane(Lane& lane) {
    const state::Manifest& manifest = *restored;
    for (const state::RulesetEntry& entry : manifest.rulesets) {
      if (entry.name == lane.name) lane.seq = entry.next_seq;
    }
    const auto started = std::chrono::steady_clock::now();
    size_t keys = 0;
    size_t skipped = 0;
    std::set<std::string> reset_rules;
    auto restore = [&](const std::string& stream, cep::RulesetRunner& runner) -> cep::Status {
      const bool present = std::any_of(manifest.streams.begin(), manifest.streams.end(),
                                       [&](const state::StateStream& s) { return s.name == stream; });
      if (!present) return cep::Status();  // rules keyed so are new: they start empty
      RETURN_IF_ERROR(storage->ReadStream(manifest, stream, [&](std::string_view chunk) {
        return runner.Restore(chunk);
      }));
      ASSIGN_OR_RETURN(cep::RestoreStats stats, runner.FinishRestore());
      keys += stats.keys_restored;
      skipped += stats.keys_skipped;
      reset_rules.insert(stats.rules_started_empty.begin(), stats.rules_started_empty.end());
      return cep::Status();
    };
    RETURN_IF_ERROR(lane.pool->Restore(restore, cep::EventTime::FromMillis(manifest.watermark_ms)));
    spdlog::info("{}: restored {} key state(s) from checkpoint {} in {} ms", lane.name, keys,
                 manifest.id,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
    for (const std::string& rule : reset_rules) {
      spdlog::warn("{}: rule {} changed since checkpoint {}: it starts empty ({} key state(s) dropped)",
                   lane.name, rule, manifest.id, skipped);
    }
    return cep::Status();
  }

  cep::Status error_status() {
    std::lock_guard lock(error_mutex);
    return error;
  }

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
    for (const IngestRecord& ingested_record : ingesting) {
      kafka::Record record;
      record.topic = "http";
      record.partition = Service::kIngestPartition;
      record.offset = ingest_offset++;
      record.value = ingested_record.value;
      OnRecord(record, now, ingested_record.json);
    }
    ingesting.clear();
  }

  void OnRecord(const kafka::Record& record, cep::WallTime now, bool json = false) {
    records.fetch_add(1, std::memory_order_relaxed);
    if (record.partition != Service::kIngestPartition) next_offsets[record.partition] = record.offset + 1;
    Lane& first = *lanes.front();
    auto event = (json ? first.json_decoder : first.decoder)->Decode(record.value, first.seq);
    if (!event) {
      DeadLetter(record, event.error().message());
      return;
    }
    ++first.seq;
    event->set_partition(record.partition);  // keyed state remembers it (checkpoints)
    const cep::EventTime ts = event->ts();
    const cep::EventTime before = tracker.watermark();
    if (tracker.Observe(record.partition, ts, now)) {
      late.fetch_add(1, std::memory_order_relaxed);
      if (late_side_output) RouteLate(record, before);
    }
    events.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 1; i < lanes.size(); ++i) {
      Lane& lane = *lanes[i];
      auto own = (json ? lane.json_decoder : lane.decoder)->Decode(record.value, lane.seq++);
      if (!own) continue;
      own->set_partition(record.partition);
      lane.pool->Route(std::make_shared<const cep::Event>(std::move(*own)));
    }
    first.pool->Route(std::make_shared<const cep::Event>(std::move(*event)));
  }

  void AdvanceWatermark(cep::WallTime now) {
    const cep::EventTime w = tracker.Advance(now);
    for (auto& lane : lanes) lane->pool->AdvanceWatermark(w);
    watermark.store(w.millis(), std::memory_order_relaxed);
  }

  // Assign mode (checkpoints on): every partition of the input topic, from
  // the restored checkpoint's offsets, else the group's committed offsets, else
  // the beginning. False while the topic does not exist yet.
  bool AssignInput(cep::WallTime now) {
    const std::string& topic = options.config.kafka.input_topic;
    auto partitions = consumer->Partitions(topic, kMetadataTimeout);
    if (!partitions) {
      spdlog::info("waiting for input topic {}: {}", topic, partitions.error().message());
      return false;
    }
    std::vector<kafka::PartitionOffset> assignment;
    for (int32_t partition : *partitions) {
      int64_t offset = kafka::kOffsetStored;
      if (restored) {
        for (const state::SourceOffset& o : restored->offsets) {
          if (o.topic == topic && o.partition == partition) offset = o.next_offset;
        }
      }
      if (offset >= 0) next_offsets[partition] = offset;
      assignment.push_back({{topic, partition}, offset});
      tracker.Assign(partition, now);
    }
    if (cep::Status s = consumer->Assign(assignment); !s.ok()) {
      Fail(s);
      return false;
    }
    spdlog::info("reading {} partition(s) of {} from {}", assignment.size(), topic,
                 restored ? "checkpoint " + std::to_string(restored->id) : "the group's offsets");
    return true;
  }

  // The alert topics' ends, taken before a barrier: every alert raised after
  // the barrier lands at or after them. Where alerts read back after a restore
  // are still waiting to be raised again, from the oldest of those. Asked from
  // the broker on a task of its own (positions_consumer): a round trip per
  // partition must not stall the input.
  cep::Result<std::vector<state::SinkPosition>> SinkPositions() {
    const KafkaConfig& kafka = options.config.kafka;
    if (sink_partitions.empty()) {
      for (const std::string& topic : {kafka.alerts_topic, kafka.shadow_topic}) {
        auto partitions = positions_consumer->Partitions(topic, kMetadataTimeout);
        if (!partitions) continue;  // not created yet: a restore reads it from the start
        for (int32_t p : *partitions) sink_partitions.push_back({topic, p});
      }
    }
    std::vector<state::SinkPosition> ends;
    for (const kafka::TopicPartition& tp : sink_partitions) {
      ASSIGN_OR_RETURN(int64_t end, positions_consumer->EndOffset(tp, kMetadataTimeout));
      if (auto oldest = read_back->OldestPending(tp.topic, tp.partition)) end = std::min(end, *oldest);
      ends.push_back({tp.topic, tp.partition, end});
    }
    return ends;
  }

  // Whether anything was read or the watermark moved since the last barrier.
  bool ChangedSinceCheckpoint() const {
    if (lanes.empty()) return false;
    return records.load(std::memory_order_relaxed) != checkpointed_records ||
           lanes.front()->pool->watermark() != checkpointed_watermark;
  }

  // Injects the barrier, right after the records routed so far.
  void StartCheckpoint(cep::WallTime now, std::vector<state::SinkPosition> sink) {
    checkpointed_records = records.load(std::memory_order_relaxed);
    checkpointed_watermark = lanes.front()->pool->watermark();
    state::Manifest manifest;
    manifest.id = coordinator->next_id();
    manifest.created_ms = now.millis();
    manifest.watermark_ms = lanes.front()->pool->watermark().millis();
    manifest.sink = std::move(sink);
    for (const auto& [partition, offset] : next_offsets) {
      manifest.offsets.push_back({options.config.kafka.input_topic, partition, offset});
    }
    size_t slots = 0;
    for (const auto& lane : lanes) {
      manifest.rulesets.push_back({lane->name, lane->ruleset.program->version, lane->seq});
      slots += lane->pool->slots();
    }
    const uint64_t id = manifest.id;
    coordinator->Begin(std::move(manifest), slots, transactions ? 1 : lanes.size());
    for (auto& lane : lanes) lane->pool->Barrier(id);
    last_barrier = id;
  }

  void CheckpointTick(cep::WallTime now) {
    if (coordinator == nullptr) return;
    const std::optional<state::Manifest> committed = coordinator->TakeCommitted();
    if (committed) Publish(*committed);
    if (transactions) {
      ReleaseCommitted();  // the transaction committed the offsets
    } else if (committed && !committed->offsets.empty()) {
      // For lag monitoring only: a restore reads its offsets from the checkpoint.
      if (cep::Status s = consumer->Commit(KafkaOffsets(committed->offsets)); !s.ok()) {
        spdlog::debug("checkpoint offsets not committed to the group: {}", s.message());
      }
    }
    if (positions.valid()) {
      if (positions.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
      auto sink = positions.get();
      if (!sink) {
        spdlog::warn("checkpoint skipped: alert topic positions unknown ({})", sink.error().message());
        return;
      }
      StartCheckpoint(now, std::move(*sink));
      return;
    }
    if (!CheckpointDue(now)) return;
    if (transactions) {
      StartCheckpoint(now, {});  // no read-back, so no alert positions
    } else {
      positions = std::async(std::launch::async, [this] { return SinkPositions(); });
    }
  }

  // An interval passed since the last checkpoint, none is in flight (with
  // transactions: the last one's held alerts are released), and something
  // changed since: else the last checkpoint still holds.
  bool CheckpointDue(cep::WallTime now) {
    const cep::Duration interval = options.config.checkpoint_interval;
    if (interval == cep::Duration::Zero() || coordinator->in_flight() || lanes.empty() ||
        Publishing()) {
      return false;
    }
    if (transactions && released_barrier < last_barrier) return false;
    if (now - last_checkpoint < interval) return false;
    last_checkpoint = now;
    return ChangedSinceCheckpoint();
  }

  // The sink committed a checkpoint's transaction: the alerts the slots held
  // since its barrier may go out (into the next transaction). Before the next
  // barrier, always: they belong before it.
  void ReleaseCommitted() {
    const uint64_t committed = txn_committed.load();
    if (committed <= released_barrier) return;
    for (auto& lane : lanes) lane->pool->ReleaseBarrier(committed);
    released_barrier = committed;
  }

  // Waits (bounded) until the transaction of checkpoint `id` committed.
  bool WaitTransaction(uint64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + kFinalCheckpointTimeout;
    while (txn_committed.load() < id && std::chrono::steady_clock::now() < deadline &&
           error_status().ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling, bounded
    }
    return txn_committed.load() >= id;
  }

  // A clean stop leaves a checkpoint of everything read, so a restart loses
  // neither open windows nor partial matches.
  void FinalCheckpoint() {
    if (coordinator == nullptr || !input_assigned || lanes.empty()) return;
    if (!coordinator->WaitIdle(kFinalCheckpointTimeout)) return;
    if (!ChangedSinceCheckpoint() && coordinator->figures().completed > 0) return;
    if (transactions) {
      // The last checkpoint's transaction first, and its held alerts out.
      if (!WaitTransaction(last_barrier)) return;
      ReleaseCommitted();
      StartCheckpoint(options.clock->Now(), {});
      // The sink commits the transaction after the manifest: wait for both.
      if (!WaitTransaction(last_barrier)) {
        spdlog::warn("stopping without a final checkpoint: its transaction did not commit");
      }
      return;
    }
    auto sink = positions.valid() ? positions.get() : SinkPositions();
    if (!sink) {
      spdlog::warn("stopping without a final checkpoint: alert topic positions unknown ({})",
                   sink.error().message());
      return;
    }
    StartCheckpoint(options.clock->Now(), std::move(*sink));
    if (!coordinator->WaitIdle(kFinalCheckpointTimeout)) {
      spdlog::warn("stopping without a final checkpoint: not complete after {} s",
                   std::chrono::duration_cast<std::chrono::seconds>(kFinalCheckpointTimeout).count());
    }
  }

  // A consumer of the service's own (alert positions, read-back, the restore
  // probe): assigned partitions only, in the input group + `group_suffix`.
  kafka::ConsumerOptions HelperConsumerOptions(const std::string& client_id,
                                               const std::string& group_suffix) const {
    kafka::ConsumerOptions helper;
    helper.bootstrap = options.bootstrap;
    helper.group_id = options.config.kafka.group_id + group_suffix;
    helper.client_id = client_id;
    helper.settings = options.config.kafka.consumer_settings;
    return helper;
  }

  // --- Scaling out (shared_state_dir; deploy/README.md "Scaling out") ---

  // Every completed checkpoint goes to the shared directory, where whoever is
  // assigned its partitions next restores them from. Exported on a task of its
  // own (`wait`: here, for a hand-over); no checkpoint starts until it is done,
  // so the store is not written meanwhile.
  void Publish(const state::Manifest& manifest, bool wait = false) {
    if (!shared) return;
    WaitPublished();
    const uint64_t id = manifest.id;
    publishing = std::async(std::launch::async, [this, id] {
      const auto started = std::chrono::steady_clock::now();
      if (cep::Status s = shared->Publish(*storage, id); !s.ok()) {
        // The older published one still holds these partitions: a hand-over
        // from it replays more input; nothing is lost.
        spdlog::warn("checkpoint {} not published for scale-out: {}", id, s.message());
        return;
      }
      spdlog::debug("checkpoint {} published in {} ms", id,
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count());
    });
    if (wait) WaitPublished();
  }

  void WaitPublished() {
    if (publishing.valid()) publishing.get();
  }

  bool Publishing() const {
    return publishing.valid() &&
           publishing.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  }

  // Stops a lane's slots and sink and gives it a fresh, empty pool of `slots`
  // (its sink is started by OnAssign, after the restore).
  void RestartLane(Lane& lane, uint32_t slots) {
    lane.pool->Stop();  // drains; nothing fires early
    if (lane.sink.joinable()) lane.sink.join();
    auto pool = MakePool(lane, slots);
    std::lock_guard lock(lanes_mutex);
    lane.pool = std::move(pool);
  }

  // Partitions revoked (a rebalance, or leaving the group): checkpoint what was
  // read, publish it, and drop every partition's state (an eager rebalance
  // revokes the whole assignment; the next one restores what comes back).
  // `last`: the service is stopping; the lanes stay stopped.
  void HandOver(const std::vector<kafka::TopicPartition>& revoked, bool last = false) {
    if (!shared || stopping) return;
    stopping = last;
    if (!input_assigned) return;  // nothing restored or read since the last hand-over
    const auto started = std::chrono::steady_clock::now();
    WaitPublished();  // the store is not exported from while a checkpoint is written
    FinalCheckpoint();
    // Not committed to the group here: in the middle of a rebalance a commit
    // waits for it (seconds), and the next owner starts from the checkpoint's
    // offsets anyway. Periodic checkpoints commit theirs (lag monitoring).
    if (auto committed = coordinator->TakeCommitted()) {
      Publish(*committed, /*wait=*/true);
    } else {
      WaitPublished();  // the last periodic one, which holds what was read
    }
    if (!last) {
      for (auto& lane : lanes) RestartLane(*lane, lane->pool->slots());
    }
    hand_overs.fetch_add(1, std::memory_order_relaxed);
    next_offsets.clear();
    input_assigned = false;
    spdlog::info("scale-out: handed over {} partition(s) in {} ms", revoked.size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
  }

  // Partitions assigned: restores each from the newest published checkpoint
  // holding it and returns where to read each from (Consumer::start_offsets).
  std::vector<kafka::PartitionOffset> OnAssign(const std::vector<kafka::TopicPartition>& assigned) {
    if (!shared) return {};
    // An eager rebalance revokes everything before it assigns; should an
    // assignment come on top of one anyway, hand that over first.
    if (input_assigned) HandOver({});
    const auto started = std::chrono::steady_clock::now();
    const std::string& topic = options.config.kafka.input_topic;
    std::vector<int32_t> ids;
    for (const kafka::TopicPartition& tp : assigned) {
      if (tp.topic == topic) ids.push_back(tp.partition);
    }
    auto sources = shared->Find(ids);
    if (!sources) {
      Fail(sources.error().WithContext("scale-out: restoring assigned partitions"));
      return {};
    }
    if (cep::Status s = RestoreFrom(*sources); !s.ok()) {
      Fail(s.WithContext("scale-out: restoring assigned partitions"));
      return {};
    }
    ReadBackFrom(*sources);
    for (auto& lane : lanes) {
      if (!lane->sink.joinable()) StartSink(*lane);
    }
    std::vector<kafka::PartitionOffset> offsets;
    size_t from_checkpoints = 0;
    for (const SharedCheckpoints::Source& from : *sources) {
      for (const state::SourceOffset& o : from.manifest.offsets) {
        if (o.topic != topic ||
            !std::binary_search(from.partitions.begin(), from.partitions.end(), o.partition)) {
          continue;
        }
        offsets.push_back({{topic, o.partition}, o.next_offset});
        next_offsets[o.partition] = o.next_offset;
        ++from_checkpoints;
      }
    }
    input_assigned = true;
    assignments.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("scale-out: assigned {} partition(s), {} restored from {} published checkpoint(s) "
                 "in {} ms",
                 ids.size(), from_checkpoints, sources->size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
    return offsets;
  }

  // Gives every lane the state of its partitions from `sources`, one snapshot
  // after another into the same runners (each for its own partitions).
  cep::Status RestoreFrom(const std::vector<SharedCheckpoints::Source>& sources) {
    int64_t restored_to = cep::EventTime::Max().millis();
    for (const SharedCheckpoints::Source& from : sources) {
      restored_to = std::min(restored_to, from.manifest.watermark_ms);
    }
    if (sources.empty()) restored_to = cep::EventTime::Min().millis();
    for (auto& lane_ptr : lanes) {
      Lane& lane = *lane_ptr;
      // Keys are spread over slots by hash: the slots that wrote them, which
      // every instance must agree on.
      uint32_t slots = 0;
      for (const SharedCheckpoints::Source& from : sources) {
        const uint32_t saved = SlotsInCheckpoint(from.manifest, lane.name);
        if (saved == 0) continue;
        if (slots != 0 && saved != slots) {
          return cep::FailedPrecondition(
              lane.name + ": the published checkpoints were taken with " + std::to_string(slots) +
              " and " + std::to_string(saved) + " slots; give every instance the same `slots`");
        }
        slots = saved;
        for (const state::RulesetEntry& entry : from.manifest.rulesets) {
          if (entry.name == lane.name) lane.seq = std::max(lane.seq, entry.next_seq);
        }
      }
      if (lane.sink.joinable() || (slots != 0 && slots != lane.pool->slots())) {
        RestartLane(lane, slots != 0 ? slots : lane.pool->slots());
      }
      cep::RestoreStats total;
      auto restore = [&](const std::string& stream, cep::RulesetRunner& runner) -> cep::Status {
        for (const SharedCheckpoints::Source& from : sources) {
          auto it = std::find_if(from.manifest.streams.begin(), from.manifest.streams.end(),
                                 [&](const state::StateStream& s) { return s.name == stream; });
          if (it == from.manifest.streams.end()) continue;
          RETURN_IF_ERROR(state::CheckpointStorage::ReadSavepointStream(
              from.dir, *it,
              [&](std::string_view piece) { return runner.Restore(piece, from.partitions); }));
          ASSIGN_OR_RETURN(cep::RestoreStats stats, runner.FinishRestore());
          total.keys_restored += stats.keys_restored;
          total.keys_conflicting += stats.keys_conflicting;
        }
        return cep::Status();
      };
      RETURN_IF_ERROR(lane.pool->Restore(restore, cep::EventTime::FromMillis(restored_to)));
      if (total.keys_conflicting > 0) {
        spdlog::warn("{}: {} key(s) had events from more than one input partition; each kept the "
                     "state of one (scale-out needs input keyed by the rules' key)",
                     lane.name, total.keys_conflicting);
      }
      spdlog::info("{}: restored {} key state(s) of the assigned partitions", lane.name,
                   total.keys_restored);
    }
    return cep::Status();
  }

  // Alerts the previous owner wrote after the checkpoints restored from are
  // raised again here: read them back so they are not written twice.
  void ReadBackFrom(const std::vector<SharedCheckpoints::Source>& sources) {
    std::map<std::pair<std::string, int32_t>, int64_t> oldest;  // oldest position per alert partition
    for (const SharedCheckpoints::Source& from : sources) {
      for (const state::SinkPosition& p : from.manifest.sink) {
        auto [it, added] = oldest.try_emplace({p.topic, p.partition}, p.offset);
        if (!added) it->second = std::min(it->second, p.offset);
      }
    }
    if (oldest.empty()) return;
    std::vector<state::SinkPosition> sink_from;
    for (const auto& [tp, offset] : oldest) sink_from.push_back({tp.first, tp.second, offset});
    const KafkaConfig& kafka = options.config.kafka;
    auto written = AlertReadBack::Read(HelperConsumerOptions("cep-read-back", "-read-back"),
                                       {kafka.alerts_topic, kafka.shadow_topic}, sink_from,
                                       kReadBackTimeout);
    if (!written) {
      // Not fatal: at worst an alert raised again is written twice.
      spdlog::warn("scale-out: alerts not read back ({}); some may be written twice",
                   written.error().message());
      return;
    }
    std::vector<std::pair<std::string, uint32_t>> versions;
    for (const auto& lane : lanes) versions.emplace_back(lane->ruleset_name, lane->ruleset.program->version);
    (*written)->KeepOnly(versions);
    read_back->Absorb(std::move(**written));
  }

  void RunSource(std::stop_token stop) {
    last_checkpoint = options.clock->Now();
    while (!stop.stop_requested()) {
      RunControl();
      if (lanes.empty()) {
        // Nothing runs: the input waits in Kafka, not dropped.
        std::unique_lock lock(control_mutex);
        control_added.wait_for(lock, kPollWait, [&] { return !control.empty(); });
        continue;
      }
      if (coordinator != nullptr && !input_assigned && !shared) {
        input_assigned = AssignInput(options.clock->Now());
        consuming.store(input_assigned);
        if (!input_assigned) {
          std::this_thread::sleep_for(kPollWait);  // the topic is not there yet
          continue;
        }
      }
      auto batch = consumer->Poll(options.poll_batch, kPollWait);
      const cep::WallTime now = options.clock->Now();
      if (!batch) {
        Fail(batch.error());
        break;
      }
      for (const kafka::Record& record : *batch) OnRecord(record, now);
      if (shared && !input_assigned) {
        // Scale-out between a hand-over and the next assignment: the pools
        // wait for their restore; HTTP ingest waits in its queue.
        side_producer->Poll();
        continue;
      }
      DrainIngest(now);
      AdvanceWatermark(now);
      CheckpointTick(now);
      TakeFigures(now);
      side_producer->Poll();
    }
    {
      // Commands that never ran: their callers hear of the stop.
      std::lock_guard lock(control_mutex);
      control.clear();
    }
    if (!shared || input_assigned) {
      DrainIngest(options.clock->Now(), /*close=*/true);  // accepted records are not dropped
    }
    if (shared) {
      HandOver(consumer->assignment(), /*last=*/true);
    } else {
      FinalCheckpoint();
    }
    // Drain: the slots finish what is queued; nothing fires early.
    for (auto& lane : lanes) lane->pool->Stop();
    for (auto& lane : lanes) {
      if (lane->sink.joinable()) lane->sink.join();
    }
    consuming.store(false);
    if (!side_producer->Flush(kFlushTimeout).ok()) spdlog::warn("dead letters not all flushed");
    std::vector<kafka::PartitionOffset> offsets;
    if (transactions) {
      // The transactions committed the offsets.
      if (txn_sink.joinable()) txn_sink.join();
    } else if (coordinator != nullptr) {
      // The group gets a checkpoint's offsets only, never more: what was read
      // after it lives in no checkpoint.
      if (auto committed = coordinator->TakeCommitted()) offsets = KafkaOffsets(committed->offsets);
    } else {
      for (const auto& [partition, offset] : next_offsets) {
        offsets.push_back({{options.config.kafka.input_topic, partition}, offset});
      }
    }
    if (!offsets.empty()) {
      if (cep::Status s = consumer->Commit(offsets); !s.ok()) {
        spdlog::warn("offsets not committed: {}", s.message());
      }
    }
    consumer->Close();
    running.store(false);
  }

  // Every alert raised before the barrier is produced: the checkpoint may
  // complete once Kafka has acknowledged them all.
  void AckBarrier(Lane& lane, uint64_t barrier) {
    if (!AllDelivered(*lane.producer, lane.name, barrier, lane.delivery_failed)) {
      return;  // tried again on the next collect
    }
    lane.flushed_barrier = barrier;
    coordinator->OnSinkFlushed(barrier);
  }

  // Whether Kafka acknowledged every alert handed to `producer`, so that the
  // checkpoint of `barrier` may count on them. An alert refused for good is lost
  // unless the service restarts from the last checkpoint, which raises it
  // again: then no checkpoint completes any more, and that is reported once.
  bool AllDelivered(kafka::Producer& producer, const std::string& who, uint64_t barrier,
                    bool& reported) {
    if (cep::Status s = producer.Flush(kFlushTimeout); !s.ok()) {
      spdlog::warn("{}: checkpoint {} waits for Kafka: {}", who, barrier, s.message());
      return false;
    }
    if (producer.failed() == 0) return true;
    if (!std::exchange(reported, true)) {
      Fail(cep::Unavailable("alerts not delivered (" + producer.first_error().message() +
                            "); no further checkpoint: restart the service to write them again"));
    }
    return false;
  }

  // Writes one alert to its topic with `producer`; false when it was not.
  bool ProduceAlert(kafka::Producer& producer, const cep::v1::Alert& alert, std::string& bytes) {
    const KafkaConfig& kafka = options.config.kafka;
    bytes = kafka.alert_format == "json" ? wire::AlertToJson(alert) : alert.SerializeAsString();
    const bool shadow = alert.mode() == cep::v1::Alert::MODE_SHADOW;
    const kafka::Header headers[] = {{kAlertIdHeader, alert.alert_id()}};
    cep::Status status = producer.Produce(shadow ? kafka.shadow_topic : kafka.alerts_topic,
                                          alert.key(), bytes, headers);
    if (options.on_alert) options.on_alert(alert);
    if (!status.ok()) {
      produce_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("alert {} not produced: {}", alert.alert_id(), status.message());
      return false;
    }
    (shadow ? shadow_alerts : alerts).fetch_add(1, std::memory_order_relaxed);
    alert_latency.Record(static_cast<double>(options.clock->Now().millis() - alert.ts_ms()) / 1000.0);
    return true;
  }

  // Commits the transaction of a checkpoint whose manifest is written: its
  // alerts and its input offsets together, then opens the next.
  void CommitTransaction(const state::Manifest& manifest) {
    cep::Status status = txn_producer->SendOffsetsToTransaction(
        KafkaOffsets(manifest.offsets), options.config.kafka.group_id, kFlushTimeout);
    if (status.ok()) status = txn_producer->CommitTransaction(kFlushTimeout);
    if (!status.ok()) {
      // Aborted, its alerts are raised again from the checkpoint before it on restart.
      (void)txn_producer->AbortTransaction(kFlushTimeout);
      Fail(cep::Unavailable("the transaction of checkpoint " + std::to_string(manifest.id) +
                            " did not commit (" + status.message() +
                            "); restart the service to go on from the last committed one"));
      return;
    }
    txn_committed.store(manifest.id);
    if (cep::Status begun = txn_producer->BeginTransaction(); !begun.ok()) Fail(begun);
  }

  // kafka.exactly_once: transactions. One sink for every ruleset, so that one
  // transaction holds a checkpoint's alerts of all of them.
  void RunTransactionalSink() {
    std::vector<SlotPool::Output> outs(lanes.size());
    std::string bytes;
    uint64_t flushed = 0;
    bool delivery_failed = false;
    for (;;) {
      bool finished = true;
      uint64_t barrier = UINT64_MAX;
      for (size_t i = 0; i < lanes.size(); ++i) {
        lanes[i]->pool->Collect(outs[i], std::chrono::milliseconds(lanes.size() == 1 ? 20 : 5));
        for (const cep::v1::Alert& alert : outs[i].alerts) ProduceAlert(*txn_producer, alert, bytes);
        outs[i].alerts.clear();
        finished = finished && outs[i].finished;
        barrier = std::min(barrier, outs[i].barrier);
      }
      txn_producer->Poll();
      // Every alert before the barrier is in the open transaction.
      if (barrier > flushed && barrier != UINT64_MAX &&
          AllDelivered(*txn_producer, "alerts", barrier, delivery_failed)) {
        flushed = barrier;
        coordinator->OnSinkFlushed(barrier);
      }
      std::optional<state::Manifest> written;
      {
        std::lock_guard lock(txn_mutex);
        written.swap(txn_to_commit);
      }
      if (written) CommitTransaction(*written);
      if (finished) break;
    }
    // What is left belongs after the last checkpoint: a restart raises it again.
    (void)txn_producer->AbortTransaction(kFlushTimeout);
  }

  // Counts an alert by rule and kind, and marks a shadow lane's as shadow.
  void Account(Lane& lane, cep::v1::Alert& alert) {
    if (lane.shadow) alert.set_mode(cep::v1::Alert::MODE_SHADOW);
    const size_t kind = alert.kind() == cep::v1::Alert::KIND_TIMEOUT  ? 1
                        : alert.kind() == cep::v1::Alert::KIND_WINDOW ? 2
                                                                      : 0;
    std::lock_guard lock(lane.kinds_mutex);
    ++lane.kinds[alert.rule()][kind];
  }

  void RunSink(Lane& lane) {
    SlotPool::Output out;
    std::string bytes;
    const ShadowDiff::Side side = lane.shadow ? ShadowDiff::Side::kShadow : ShadowDiff::Side::kLive;
    for (;;) {
      lane.pool->Collect(out, kSinkWait);
      const std::shared_ptr<ShadowDiff> diff = lane.shadow_diff();
      for (cep::v1::Alert& alert : out.alerts) {
        Account(lane, alert);
        if (diff != nullptr) diff->Add(side, alert);
        if (read_back->TakeIfWritten(alert.alert_id())) {
          // Raised again after a restore; the previous run had written it.
          already_written.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        ProduceAlert(*lane.producer, alert, bytes);
      }
      out.alerts.clear();
      const cep::Duration holdback = lane.pool->ordering_holdback();
      if (out.done != cep::EventTime::Min()) {
        // Everything stamped before this is raised by now: what was read back
        // and not raised again never will be.
        const cep::EventTime settled =
            holdback.is_infinite() ? cep::EventTime::Min() : out.done - holdback;
        if (!holdback.is_infinite()) read_back->ForgetStampedBefore(lane.ruleset_name, settled.millis());
        if (diff != nullptr) diff->SettledUpTo(side, settled);
      }
      lane.producer->Poll();
      if (coordinator != nullptr && out.barrier > lane.flushed_barrier) AckBarrier(lane, out.barrier);
      if (out.finished) break;
    }
    if (!lane.producer->Flush(kFlushTimeout).ok()) {
      spdlog::warn("{}: alerts still in flight after {} s", lane.name,
                   std::chrono::duration_cast<std::chrono::seconds>(kFlushTimeout).count());
    }
  }

  // --- Lanes: made at start and by Activate, removed by Deactivate ---

  std::unique_ptr<SlotPool> MakePool(const Lane& lane, uint32_t slots) {
    SlotPoolOptions pool_options;
    pool_options.slots = slots;
    pool_options.queue_capacity = options.config.queue_capacity;
    pool_options.snapshots = coordinator.get();
    pool_options.name = lane.name;
    pool_options.hold_after_barrier = transactions;
    return std::make_unique<SlotPool>(lane.ruleset.program, pool_options);
  }

  cep::Result<std::unique_ptr<Lane>> MakeLane(const rules::CompiledRuleset& ruleset, bool shadow) {
    const ServiceConfig& config = options.config;
    auto lane = std::make_unique<Lane>();
    lane->ruleset_name = ruleset.program->ruleset;
    lane->name = lane->ruleset_name + (shadow ? "@shadow" : "");
    lane->shadow = shadow;
    lane->ruleset = ruleset;
    lane->decoder = std::make_unique<RecordDecoder>(lane->ruleset, format, config.id_field,
                                                    options.max_record_bytes);
    lane->json_decoder = std::make_unique<RecordDecoder>(
        lane->ruleset, RecordDecoder::Format::kJson, config.id_field, options.max_record_bytes);
    uint32_t slots = SlotCount(config.slots);
    if (restored) {
      // Keys are spread over slots by hash: restore with the slots that wrote them.
      const uint32_t saved = SlotsInCheckpoint(*restored, lane->name);
      if (saved != 0 && saved != slots) {
        spdlog::warn("{}: running {} slot(s) as checkpoint {} was taken with, not {}", lane->name,
                     saved, restored->id, slots);
        slots = saved;
      }
    }
    lane->pool = MakePool(*lane, slots);
    if (!transactions) {
      kafka::ProducerOptions lane_producer = producer_options;
      lane_producer.client_id = "cep-alerts-" + lane->name;
      ASSIGN_OR_RETURN(lane->producer, kafka::Producer::Create(lane_producer));
    }
    return lane;
  }

  void StartSink(Lane& lane) {
    if (!transactions) lane.sink = std::thread([this, &lane] { RunSink(lane); });
  }

  Lane* FindLane(std::string_view name, bool shadow) const {
    for (const auto& lane : lanes) {
      if (lane->ruleset_name == name && lane->shadow == shadow) return lane.get();
    }
    return nullptr;
  }

  void UpdateLateSideOutput() {
    late_side_output = false;
    for (const auto& lane : lanes) late_side_output = late_side_output || lane->pool->wants_late_side_output();
  }

  // A new shadow diff whenever either side of a ruleset changes version.
  void RefreshShadowDiff(std::string_view name) {
    Lane* live = FindLane(name, false);
    Lane* shadow = FindLane(name, true);
    std::shared_ptr<ShadowDiff> diff;
    if (shadow != nullptr) {
      diff = std::make_shared<ShadowDiff>(shadow->ruleset.program->version, options.clock->Now().millis());
      if (live != nullptr) diff->SetLiveVersion(live->ruleset.program->version);
      shadow->set_shadow_diff(diff);
    }
    if (live != nullptr) live->set_shadow_diff(diff);
  }

  // Ruleset changes wait for a point where no checkpoint is in flight: a
  // checkpoint counts on a fixed set of slots and sinks.
  bool CanChangeLanes() const {
    if (coordinator == nullptr) return true;
    if (coordinator->in_flight() || positions.valid()) return false;
    return !transactions || released_barrier >= last_barrier;
  }

  void Enqueue(std::function<bool()> command) {
    {
      std::lock_guard lock(control_mutex);
      control.push_back(std::move(command));
    }
    control_added.notify_all();
  }

  void RunControl() {
    for (;;) {
      std::function<bool()> command;
      {
        std::lock_guard lock(control_mutex);
        if (control.empty()) return;
        command = control.front();
      }
      if (!command()) return;  // not now: tried again next loop, in order
      std::lock_guard lock(control_mutex);
      control.pop_front();
    }
  }

  using ActivationPromise = std::promise<cep::Result<ActivationReport>>;

  void DoActivate(const rules::CompiledRuleset& ruleset, bool shadow,
                  const std::shared_ptr<ActivationPromise>& done) {
    const cep::Program& next = *ruleset.program;
    ActivationReport report;
    report.ruleset = next.ruleset;
    report.version = next.version;
    report.mode = shadow ? "shadow" : "live";
    Lane* lane = FindLane(next.ruleset, shadow);
    if (lane == nullptr) {
      if (transactions) {
        done->set_value(cep::Unexpected(cep::FailedPrecondition(
            "with kafka.exactly_once: transactions, a ruleset starts or stops running only at a "
            "restart (a transaction spans a fixed set of rulesets); swapping versions works live")));
        return;
      }
      auto made = MakeLane(ruleset, shadow);
      if (!made) {
        done->set_value(cep::Unexpected(made.error()));
        return;
      }
      report.rules = CompareRules(nullptr, next);
      Lane& added = **made;
      {
        std::lock_guard lock(lanes_mutex);
        lanes.push_back(std::move(*made));
      }
      added.pool->AdvanceWatermark(tracker.watermark());
      StartSink(added);
      UpdateLateSideOutput();
      RefreshShadowDiff(next.ruleset);
      spdlog::info("{} version {} running ({})", next.ruleset, next.version, report.mode);
      done->set_value(std::move(report));
      return;
    }
    const std::shared_ptr<const cep::Program> before = lane->ruleset.program;
    report.previous = before->version;
    report.rules = CompareRules(before.get(), next);
    lane->decoder = std::make_unique<RecordDecoder>(ruleset, format, options.config.id_field,
                                                    options.max_record_bytes);
    lane->json_decoder = std::make_unique<RecordDecoder>(
        ruleset, RecordDecoder::Format::kJson, options.config.id_field, options.max_record_bytes);
    {
      std::lock_guard lock(lanes_mutex);
      lane->ruleset = ruleset;
    }
    auto collector = std::make_shared<SwapCollector>(lane->pool->slots(), report, done);
    lane->pool->Swap(ruleset.program, [collector](uint32_t, SwapSlotResult result) {
      collector->Add(std::move(result));
    });
    UpdateLateSideOutput();
    RefreshShadowDiff(next.ruleset);
    size_t kept = 0;
    for (const RuleSwapOutcome& r : report.rules) kept += r.state == "kept" ? 1 : 0;
    spdlog::info("{} ({}): version {} swapped in for {} at the next event; {} of {} rule(s) keep their state",
                 next.ruleset, report.mode, next.version, before->version, kept, next.rules.size());
  }

  cep::Status DoDeactivate(std::string_view name, bool shadow) {
    Lane* lane = FindLane(name, shadow);
    if (lane == nullptr) {
      return cep::NotFound(std::string(name) + " is not running in " + (shadow ? "shadow" : "live") +
                           " mode");
    }
    if (transactions) {
      return cep::FailedPrecondition(
          "with kafka.exactly_once: transactions, a ruleset stops running only at a restart");
    }
    lane->pool->Stop();  // drains; nothing fires early
    if (lane->sink.joinable()) lane->sink.join();
    std::unique_ptr<Lane> gone;
    {
      std::lock_guard lock(lanes_mutex);
      auto it = std::find_if(lanes.begin(), lanes.end(), [&](const auto& l) { return l.get() == lane; });
      gone = std::move(*it);
      lanes.erase(it);
    }
    UpdateLateSideOutput();
    RefreshShadowDiff(name);
    spdlog::info("{} version {} stopped ({})", gone->ruleset_name, gone->ruleset.program->version,
                 shadow ? "shadow" : "live");
    return cep::Status();
  }

  // Partition figures for metrics, once a second.
  void TakeFigures(cep::WallTime now) {
    if (now - figures_taken < cep::Duration::Seconds(1)) return;
    figures_taken = now;
    std::vector<PartitionFigures> figures;
    for (const WatermarkTracker::PartitionView& view : tracker.partitions(now)) {
      PartitionFigures f;
      f.partition = view.partition;
      f.watermark_ms = view.watermark.millis();
      f.max_ts_ms = view.watermark == cep::EventTime::Min()
                        ? view.watermark.millis()
                        : (view.watermark + options.config.max_out_of_orderness).millis() + 1;
      f.idle = view.idle;
      if (auto it = next_offsets.find(view.partition); it != next_offsets.end()) f.next_offset = it->second;
      if (view.partition != Service::kIngestPartition) {
        f.end_offset = consumer->CachedEndOffset({options.config.kafka.input_topic, view.partition});
      }
      figures.push_back(f);
    }
    std::lock_guard lock(figures_mutex);
    partition_figures = std::move(figures);
  }
};

cep::Result<std::unique_ptr<Service>> Service::Start(ServiceOptions options) {
  if (options.clock == nullptr) return cep::Unexpected(cep::InvalidArgument("a clock is required"));
  auto format = ParseRecordFormat(options.config.kafka.input_format);
  if (!format) return cep::Unexpected(format.error());
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->format = *format;
  const ServiceConfig& config = impl->options.config;
  impl->transactions =
      config.kafka.exactly_once == "transactions" && config.state_backend != "none";
  if (impl->transactions && impl->options.rulesets.empty() && impl->options.shadow_rulesets.empty()) {
    return cep::Unexpected(cep::InvalidArgument(
        "no ruleset to run: with kafka.exactly_once: transactions the rulesets are fixed at start"));
  }
  RETURN_IF_ERROR(impl->OpenCheckpoints());

  kafka::ProducerOptions& producer_options = impl->producer_options;
  producer_options.bootstrap = impl->options.bootstrap;
  producer_options.settings = config.kafka.producer_settings;
  // Alerts are few and wanted at once: batch for at most 1 ms (librdkafka's
  // default is 5 ms). A setting in the config wins.
  producer_options.settings.try_emplace("linger.ms", "1");
  for (bool shadow : {false, true}) {
    for (const rules::CompiledRuleset& ruleset :
         shadow ? impl->options.shadow_rulesets : impl->options.rulesets) {
      ASSIGN_OR_RETURN(std::unique_ptr<Lane> lane, impl->MakeLane(ruleset, shadow));
      if (impl->restored) RETURN_IF_ERROR(impl->RestoreLane(*lane));
      impl->lanes.push_back(std::move(lane));
    }
  }
  impl->UpdateLateSideOutput();
  for (const auto& lane : impl->lanes) {
    if (lane->shadow) impl->RefreshShadowDiff(lane->ruleset_name);
  }
  if (impl->transactions) {
    kafka::ProducerOptions txn_options = impl->producer_options;
    txn_options.client_id = "cep-alerts";
    // One id per service instance and input: a restarted instance fences its
    // predecessor and aborts the transaction it left open.
    txn_options.transactional_id = config.kafka.group_id + "-alerts";
    ASSIGN_OR_RETURN(impl->txn_producer, kafka::Producer::Create(txn_options));
    RETURN_IF_ERROR(impl->txn_producer->InitTransactions(kMetadataTimeout * 6));
    RETURN_IF_ERROR(impl->txn_producer->BeginTransaction());
    spdlog::info("alerts in Kafka transactions (transactional.id {}), one per checkpoint",
                 txn_options.transactional_id);
  }
  kafka::ProducerOptions side_options = impl->producer_options;
  side_options.client_id = "cep-side";
  ASSIGN_OR_RETURN(impl->side_producer, kafka::Producer::Create(side_options));

  kafka::ConsumerOptions consumer_options;
  consumer_options.bootstrap = impl->options.bootstrap;
  consumer_options.group_id = config.kafka.group_id;
  consumer_options.client_id = "cep-source";
  // With checkpoints the input offsets live in the checkpoint: partitions are
  // assigned from them (AssignInput), never handed out by a group rebalance.
  // Scaling out, the group assigns them (and OnAssign restores their state).
  if (impl->coordinator == nullptr || impl->shared) consumer_options.topics = {config.kafka.input_topic};
  consumer_options.settings = config.kafka.consumer_settings;
  Impl* raw = impl.get();
  if (impl->shared) {
    consumer_options.start_offsets = [raw](const std::vector<kafka::TopicPartition>& assigned) {
      return raw->OnAssign(assigned);
    };
  }
  consumer_options.on_rebalance = [raw](const kafka::RebalanceEvent& event) {
    if (event.kind == kafka::RebalanceEvent::Kind::kRevoked) raw->HandOver(event.partitions);
    const cep::WallTime now = raw->options.clock->Now();
    for (const kafka::TopicPartition& tp : event.partitions) {
      if (event.kind == kafka::RebalanceEvent::Kind::kAssigned) {
        raw->tracker.Assign(tp.partition, now);
      } else {
        raw->tracker.Revoke(tp.partition);
      }
    }
    raw->consuming.store(event.kind == kafka::RebalanceEvent::Kind::kAssigned);
    spdlog::info("{} {} partition(s) of {}",
                 event.kind == kafka::RebalanceEvent::Kind::kAssigned ? "assigned" : "revoked",
                 event.partitions.size(), raw->options.config.kafka.input_topic);
  };
  ASSIGN_OR_RETURN(impl->consumer, kafka::Consumer::Create(consumer_options));
  if (impl->coordinator != nullptr) {
    ASSIGN_OR_RETURN(impl->positions_consumer, kafka::Consumer::Create(impl->HelperConsumerOptions(
                                                   "cep-positions", "-positions")));
  }
  if (impl->restored && !impl->transactions) {
    auto alerts = AlertReadBack::Read(impl->HelperConsumerOptions("cep-read-back", "-read-back"),
                                      {config.kafka.alerts_topic, config.kafka.shadow_topic},
                                      impl->restored->sink, kReadBackTimeout);
    if (!alerts) {
      return cep::Unexpected(cep::Unavailable("reading back the alerts written since checkpoint " +
                                              std::to_string(impl->restored->id) + ": " +
                                              alerts.error().message()));
    }
    impl->read_back = std::move(*alerts);
    std::vector<std::pair<std::string, uint32_t>> running;
    for (const auto& lane : impl->lanes) {
      running.emplace_back(lane->ruleset_name, lane->ruleset.program->version);
    }
    impl->read_back->KeepOnly(running);  // other rulesets' alerts are never raised again
    spdlog::info("read back {} alert(s) written after checkpoint {}", impl->read_back->read(),
                 impl->restored->id);
  }

  if (impl->transactions) {
    impl->txn_sink = std::thread([raw] { raw->RunTransactionalSink(); });
  } else if (!impl->shared) {  // scaling out, OnAssign starts them after the restore
    for (auto& lane : impl->lanes) impl->StartSink(*lane);
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

namespace {

size_t QueueIngest(Service::Impl& i, std::vector<std::string> records, bool json,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t queued = 0;
  std::unique_lock lock(i.ingest_mutex);
  for (std::string& record : records) {
    const bool space = i.ingest_space.wait_until(lock, deadline, [&] {
      return i.ingest_queue.size() < i.options.ingest_capacity || i.ingest_closed;
    });
    if (!space || i.ingest_closed) break;
    i.ingest_queue.push_back({std::move(record), json});
    ++queued;
  }
  i.ingested.fetch_add(queued, std::memory_order_relaxed);
  return queued;
}

}  // namespace

size_t Service::Ingest(std::vector<std::string> records, std::chrono::milliseconds timeout) {
  return QueueIngest(*impl_, std::move(records), /*json=*/false, timeout);
}

Service::IngestResult Service::IngestJson(std::vector<std::string> lines,
                                          std::chrono::milliseconds timeout) {
  IngestResult result;
  rules::CompiledRuleset ruleset;
  {
    std::lock_guard lock(impl_->lanes_mutex);
    if (impl_->lanes.empty()) {
      result.no_ruleset = true;
      return result;
    }
    ruleset = impl_->lanes.front()->ruleset;  // the lane whose decoder decides, as for Kafka input
  }
  // Checked here, on the caller's thread, so that each line gets its error at
  // once; the source thread decodes the accepted ones again in order.
  RecordDecoder decoder(ruleset, RecordDecoder::Format::kJson, impl_->options.config.id_field,
                        impl_->options.max_record_bytes);
  std::vector<std::string> accepted;
  for (size_t line = 0; line < lines.size(); ++line) {
    auto event = decoder.Decode(lines[line], 0);
    if (!event) {
      result.rejected.emplace_back(line, event.error().message());
    } else {
      accepted.push_back(std::move(lines[line]));
    }
  }
  const size_t offered = accepted.size();
  result.accepted = QueueIngest(*impl_, std::move(accepted), /*json=*/true, timeout);
  result.timed_out = result.accepted < offered;
  return result;
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
  s.alerts_already_written = i.already_written.load();
  s.alerts_read_back_pending = i.read_back->pending();
  s.restored_checkpoint = i.restored ? i.restored->id : 0;
  if (i.coordinator != nullptr) s.checkpoints = i.coordinator->figures();
  s.watermark = cep::EventTime::FromMillis(i.watermark.load());
  s.ingested = i.ingested.load();
  s.restored = true;  // Start restores before it returns
  s.consuming = i.consuming.load();
  s.assignments = i.assignments.load();
  s.hand_overs = i.hand_overs.load();
  {
    std::lock_guard lock(i.figures_mutex);
    s.partitions = i.partition_figures;
  }
  s.alert_latency = i.alert_latency.Read();
  std::lock_guard lock(i.lanes_mutex);
  for (const auto& lane : i.lanes) {
    for (uint32_t slot = 0; slot < lane->pool->slots(); ++slot) {
      s.queue_depths.push_back(lane->pool->queue_depth(slot));
    }
    const cep::Program& program = *lane->ruleset.program;
    const std::vector<cep::RuleStats> live = lane->pool->live_rule_stats(program);
    std::map<std::string, std::array<uint64_t, 3>> kinds;
    {
      std::lock_guard kinds_lock(lane->kinds_mutex);
      kinds = lane->kinds;
    }
    for (size_t r = 0; r < program.rules.size(); ++r) {
      RuleCounters c;
      c.ruleset = program.ruleset;
      c.version = program.version;
      c.mode = lane->shadow ? "shadow" : "live";
      c.rule = program.rules[r].name;
      if (r < live.size()) {
        c.evaluated = live[r].evaluated;
        c.suppressed = live[r].suppressed;
        c.late_dropped = live[r].late;
      }
      if (auto it = kinds.find(c.rule); it != kinds.end()) {
        c.matches = it->second[0];
        c.timeouts = it->second[1];
        c.windows = it->second[2];
      }
      s.rules.push_back(std::move(c));
    }
  }
  return s;
}

namespace {

cep::Status CheckMode(std::string_view mode) {
  if (mode == "live" || mode == "shadow") return cep::Status();
  return cep::InvalidArgument("mode must be live or shadow, not '" + std::string(mode) + "'");
}

ActiveRuleset Describe(const Lane& lane) {
  return {lane.ruleset_name, lane.ruleset.program->version, lane.shadow ? "shadow" : "live",
          lane.pool->slots(), lane.ruleset.program};
}

// Has the source thread run `change` once no checkpoint is in flight, and waits
// up to `timeout` for it to fulfil the promise; nullopt when it did not. A
// change not started by then never starts; one started completes anyway.
template <typename T>
std::optional<T> ChangeLanes(Service::Impl& i,
                             std::function<void(const std::shared_ptr<std::promise<T>>&)> change,
                             std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<T>>();
  auto future = done->get_future();
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  i.Enqueue([&i, change = std::move(change), done, cancelled]() {
    if (cancelled->load()) return true;
    if (!i.CanChangeLanes()) return false;
    change(done);
    return true;
  });
  if (future.wait_for(timeout) != std::future_status::ready) {
    cancelled->store(true);
    if (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) return std::nullopt;
  }
  return future.get();
}

}  // namespace

cep::Result<ActivationReport> Service::Activate(rules::CompiledRuleset ruleset, std::string_view mode,
                                                std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(CheckMode(mode));
  if (!running()) return cep::Unexpected(cep::Unavailable("the service is stopping"));
  Impl* i = impl_.get();
  const bool shadow = mode == "shadow";
  auto report = ChangeLanes<cep::Result<ActivationReport>>(
      *i,
      [i, ruleset = std::move(ruleset), shadow](const std::shared_ptr<Impl::ActivationPromise>& done) {
        i->DoActivate(ruleset, shadow, done);
      },
      timeout);
  if (!report) {
    return cep::Unexpected(cep::DeadlineExceeded(
        "the swap did not complete in " + std::to_string(timeout.count()) +
        " ms (a checkpoint in flight, or slots behind); if it had started it still completes"));
  }
  return std::move(*report);
}

cep::Status Service::Deactivate(std::string_view name, std::string_view mode,
                                std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(CheckMode(mode));
  if (!running()) return cep::Unavailable("the service is stopping");
  Impl* i = impl_.get();
  auto stopped = ChangeLanes<cep::Status>(
      *i,
      [i, name = std::string(name), shadow = mode == "shadow"](
          const std::shared_ptr<std::promise<cep::Status>>& done) {
        done->set_value(i->DoDeactivate(name, shadow));
      },
      timeout);
  if (!stopped) {
    return cep::DeadlineExceeded("the ruleset did not stop in " + std::to_string(timeout.count()) + " ms");
  }
  return *stopped;
}

std::vector<ActiveRuleset> Service::active() const {
  std::lock_guard lock(impl_->lanes_mutex);
  std::vector<ActiveRuleset> out;
  for (const auto& lane : impl_->lanes) out.push_back(Describe(*lane));
  return out;
}

cep::Status Service::VisitSlots(SlotVisitor visit, std::chrono::milliseconds timeout) {
  if (!running()) return cep::Unavailable("the service is stopping");
  struct Visits {
    std::mutex mutex;
    std::condition_variable all_done;
    size_t remaining = 0;
    bool started = false;
  };
  auto visits = std::make_shared<Visits>();
  Impl* i = impl_.get();
  i->Enqueue([i, visits, visit = std::move(visit)]() {
    size_t total = 0;
    for (const auto& lane : i->lanes) total += lane->pool->slots();
    {
      std::lock_guard lock(visits->mutex);
      visits->remaining = total;
      visits->started = true;
    }
    visits->all_done.notify_all();
    for (const auto& lane : i->lanes) {
      const ActiveRuleset info = Describe(*lane);
      lane->pool->Visit([visits, visit, info](uint32_t slot, const std::vector<KeyGroup>& groups,
                                              const SlotRunners& runners) {
        visit(info, slot, groups, runners);
        std::lock_guard lock(visits->mutex);
        if (--visits->remaining == 0) visits->all_done.notify_all();
      });
    }
    return true;
  });
  std::unique_lock lock(visits->mutex);
  if (!visits->all_done.wait_for(lock, timeout,
                                 [&] { return visits->started && visits->remaining == 0; })) {
    return cep::DeadlineExceeded("the slots did not answer in " + std::to_string(timeout.count()) + " ms");
  }
  return cep::Status();
}

std::optional<ShadowDiff::Report> Service::shadow_diff(std::string_view name) const {
  std::lock_guard lock(impl_->lanes_mutex);
  for (const auto& lane : impl_->lanes) {
    if (lane->shadow && lane->ruleset_name == name) {
      if (auto diff = lane->shadow_diff()) return diff->report();
    }
  }
  return std::nullopt;
}

}  // namespace engine
