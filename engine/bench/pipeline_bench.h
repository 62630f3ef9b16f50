#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/clock.h"
#include "cep/base/result.h"
#include "engine/checkpoint/checkpoint_figures.h"
#include "engine/gen/transaction_generator.h"
#include "rules/compiler.h"

namespace engine::bench {

// What `cep bench` measures (api/cli/bench_command.cc): the service's dataflow
// (decode → SlotPool per ruleset → alerts serialized) with and without Kafka in
// front, the end-to-end latency of alerts through the embedded broker, and what
// a checkpoint of many keys to RocksDB costs and how long restoring it takes.
//
// These functions time themselves with std::chrono::steady_clock and read the
// process's CPU time (getrusage): a stopwatch is what a benchmark is for. The
// service under test still gets its wall time from the caller's cep::Clock.
//
// Threading: each call runs on the caller's thread and starts (and joins) its
// own threads; `progress` is called from the caller's thread only.

using Progress = std::function<void(std::string_view)>;

// One generated input record: a serialized cep.v1.Transaction and its Kafka key.
struct InputRecord {
  std::string key;    // account_id, as `cep demo` keys its input
  std::string value;  // protobuf bytes
};

// `count` records of TransactionGenerator(gen) (gen.count is overwritten), made
// before any timing starts. `id_numbers` receives n of each event's id "t<n>".
std::vector<InputRecord> GenerateRecords(GenOptions gen, uint64_t count,
                                         std::vector<uint64_t>* id_numbers = nullptr);

// Process CPU time (user + system, every thread) and wall time of a timed part.
struct Timing {
  double wall_s = 0;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  double events_per_s(uint64_t events) const {
    return wall_s > 0 ? static_cast<double>(events) / wall_s : 0;
  }
};

// --- 1. engine: in-memory records → RecordDecoder → SlotPool → alerts --------

struct EngineBenchOptions {
  uint32_t slots = 2;             // per ruleset
  size_t queue_capacity = 4096;   // per slot queue, as ServiceConfig's default
  size_t watermark_every = 1024;  // events between watermarks: the service's poll batch
  bool json_alerts = false;       // serialize alerts as JSON instead of protobuf
};

struct EngineBenchResult {
  uint64_t events = 0;
  uint64_t decode_errors = 0;
  uint64_t alerts = 0;
  uint64_t alert_bytes = 0;  // serialized, as the sink would produce them
  uint64_t late = 0;
  uint64_t backpressure_waits = 0;  // Route calls that found a slot queue full
  size_t keys = 0;                  // live (key group, key) states at the end
  Timing timing;
};

// Decodes and routes every record (one thread, as the service's source thread
// does), advancing the watermark to (largest ts - 1 ms) every `watermark_every`
// events, with one collector thread per ruleset serializing alerts; then stops
// the pools (they drain their queues, nothing fires early). Timed from the
// first decode until every slot and collector finished.
cep::Result<EngineBenchResult> RunEngineBench(const std::vector<rules::CompiledRuleset>& rulesets,
                                              std::span<const InputRecord> records,
                                              const EngineBenchOptions& options,
                                              const Progress& progress);

// Raw librdkafka properties for every client of a Kafka run: the service's
// consumer and producers, and the benchmark's own input producer and readers
// (e.g. consumer fetch.wait.max.ms, producer linger.ms).
struct KafkaTuning {
  std::map<std::string, std::string> consumer;
  std::map<std::string, std::string> producer;
};

// --- 2. kafka: pre-produced topic → engine::Service → alerts topic -----------

struct KafkaBenchOptions {
  int partitions = 8;  // of the input topic
  uint32_t slots = 2;
  bool json_alerts = false;
  const cep::Clock* clock = nullptr;  // the service's wall clock; required
  KafkaTuning kafka;
  std::chrono::milliseconds limit = std::chrono::seconds(120);  // for the service's run
  // Checkpoints to RocksDB in a fresh directory under the system temp dir
  // every interval (wall time); zero: none.
  std::chrono::milliseconds checkpoint_interval{0};
};

struct KafkaBenchResult {
  uint64_t records = 0;  // pre-produced
  Timing produce;        // pre-producing them (Produce + Flush)
  // A plain consumer reading the whole input topic back (Assign, no group): the
  // broker's and client's own ceiling, and the check that nothing was dropped.
  // Wall time from its first record to its last; CPU time of the whole read.
  Timing read_back;
  std::vector<int64_t> first_offsets;  // per partition: 0 unless the mock dropped records
  std::vector<int64_t> end_offsets;    // per partition: last offset read + 1
  uint64_t read_back_records = 0;
  double group_join_s = 0;  // Service::Start until its first record was consumed
  // From the first consumed record until stats().events == N.
  double consume_s = 0;
  // From the first consumed record until every event was processed and every
  // alert produced and flushed (Service::Stop returned): the headline.
  Timing service;
  double stop_s = 0;  // Service::Stop alone (drain, flush, commit, leave the group)
  uint64_t events = 0;
  uint64_t alerts = 0;            // produced by the service
  uint64_t alerts_in_topic = 0;   // read back from the alerts topic afterwards
  uint64_t dead_letters = 0;
  uint64_t late = 0;
  uint64_t produce_errors = 0;
  CheckpointFigures checkpoints;  // with KafkaBenchOptions::checkpoint_interval
};

cep::Result<KafkaBenchResult> RunKafkaBench(const std::vector<rules::CompiledRuleset>& rulesets,
                                            std::span<const InputRecord> records,
                                            const KafkaBenchOptions& options,
                                            const Progress& progress);

// --- 3. latency: paced producer → Service → alerts topic → reader -----------

struct LatencyBenchOptions {
  int partitions = 8;
  uint32_t slots = 2;
  bool json_alerts = false;
  double rate = 0;  // events per second of wall time, > 0
  std::chrono::milliseconds duration = std::chrono::seconds(20);
  std::chrono::milliseconds idle_timeout = std::chrono::milliseconds(200);
  uint64_t warmup = 2000;  // first records: produced unpaced, not measured
  const cep::Clock* clock = nullptr;
  KafkaTuning kafka;
};

struct LatencyBenchResult {
  uint64_t produced = 0;       // measured records produced (after the warm-up)
  double produce_s = 0;        // how long producing them took
  double achieved_rate = 0;    // produced / produce_s
  uint64_t events = 0;         // the service's events at the end
  uint64_t alerts_read = 0;    // alerts read back from the alerts topic
  uint64_t measured = 0;       // alerts whose completing event was a measured record
  uint64_t without_event = 0;  // alerts with no completing event (timeouts)
  // Alert seen by the reader − its completing event's Produce() call, ms.
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  Timing timing;  // the paced run, warm-up excluded, drain included
};

// `records` must hold at least warmup + rate × duration records (fewer end the
// run early; produced says how many went out). Records carry ids "t<n>" with n
// in `id_numbers` (GenerateRecords).
cep::Result<LatencyBenchResult> RunLatencyBench(const std::vector<rules::CompiledRuleset>& rulesets,
                                                std::span<const InputRecord> records,
                                                std::span<const uint64_t> id_numbers,
                                                const LatencyBenchOptions& options,
                                                const Progress& progress);

// --- 4. checkpoint: SlotPool with many keys → CheckpointCoordinator → RocksDB ---

struct CheckpointBenchOptions {
  uint32_t slots = 2;
  uint64_t keys = 1'000'000;      // distinct accounts, one key state each per rule keyed so
  size_t queue_capacity = 4096;   // per slot queue, as ServiceConfig's default
  size_t watermark_every = 1024;  // events between watermarks: the service's poll batch
  // Routing with no checkpoint before each barrier: the rate and watermark lag
  // to compare the checkpoint's with.
  std::chrono::milliseconds before = std::chrono::seconds(2);
  // The second checkpoint's input rate, as a fraction of the rate measured
  // before the first: below capacity, so slot queues stay short and the
  // watermark lag shows the slots' pauses rather than a full queue.
  double paced_fraction = 0.5;
  double paced_rate = 0;  // events/s for the second checkpoint instead, when > 0
  std::chrono::milliseconds limit = std::chrono::minutes(5);  // for a checkpoint to commit
};

// How long after the router advanced the watermark every slot had completed it
// (SlotPool::Output::done, polled every millisecond by the collector): the
// processing delay an event sees, queueing and slot pauses included.
struct WatermarkLag {
  uint64_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// One checkpoint taken while purchases of random existing accounts keep coming.
struct CheckpointRun {
  double rate = 0;  // events/s asked for; 0: as fast as the slots take them
  // Routing for CheckpointBenchOptions::before with no checkpoint running.
  Timing before;
  uint64_t before_events = 0;
  WatermarkLag before_lag;
  // From Barrier until the router saw the manifest committed, routing on.
  Timing during;
  uint64_t during_events = 0;
  WatermarkLag during_lag;
  CheckpointFigures figures;  // the coordinator's: duration, bytes, longest slot pause
};

// The slots' snapshot work alone, to tell it from waiting for a core: one
// RulesetRunner holding one slot's share of the keys (two purchases each),
// snapshotted on the caller's thread in the slots' steps of 2048 keys
// (BeginSnapshot, then ContinueSnapshot + TakeSnapshotBytes per step), with
// no other thread of the bench running.
struct SnapshotSteps {
  uint64_t keys = 0;
  uint64_t steps = 0;
  uint64_t bytes = 0;
  double begin_ms = 0;                        // BeginSnapshot
  double total_s = 0;                         // every step
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // one step
};

struct CheckpointBenchResult {
  uint64_t accounts = 0;
  // Load: one purchase per account, event times spread over 20 minutes.
  Timing load;
  uint64_t load_events = 0;
  CheckpointRun unpaced;     // checkpoint 1: the router as fast as it goes
  CheckpointRun paced;       // checkpoint 2: at paced_fraction of unpaced.before's rate
  size_t streams = 0;        // of checkpoint 2, the one restored
  uint64_t store_bytes = 0;  // RocksDB's ApproximateBytes after checkpoint 2
  size_t keys_before = 0;    // live (key group, key) states when the pool stopped
  uint64_t alerts = 0;
  // Restart from checkpoint 2: open RocksDB and the checkpoints,
  // LoadLatestValid (reads and CRCs every chunk), then a fresh SlotPool
  // restored stream by stream.
  double open_s = 0;
  double verify_s = 0;
  double restore_s = 0;
  double restart_s = 0;        // all three
  uint64_t keys_restored = 0;  // RestoreStats, summed
  size_t keys_after = 0;       // live states of the restored pool
  long max_rss_kb = 0;         // the process's peak resident set (getrusage)
  SnapshotSteps alone;         // measured after the restart
};

// Runs the ruleset (its rules keyed by account_id hold state; others stay
// empty) over generated purchases in a SlotPool whose slots snapshot to a
// CheckpointCoordinator over RocksDB in a fresh temp directory, removed
// afterwards: the load, then two checkpoints (unpaced, paced), then a restart
// from the second. The caller's thread routes; a collector thread plays the
// sink (acknowledges each barrier as soon as every slot passed it). Purchases
// after the load only touch loaded accounts and no window expires, so the key
// count at the barrier is the count when the pool stops. Fails when a
// checkpoint does not commit within `limit`, or when the restored pool holds
// another number of keys than the original.
cep::Result<CheckpointBenchResult> RunCheckpointBench(const rules::CompiledRuleset& ruleset,
                                                      const CheckpointBenchOptions& options,
                                                      const Progress& progress);

}  // namespace engine::bench
