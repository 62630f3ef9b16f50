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
// front, and the end-to-end latency of alerts through the embedded broker.
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

}  // namespace engine::bench
