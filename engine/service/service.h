#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/clock.h"
#include "cep/base/result.h"
#include "cep/base/time.h"
#include "engine/checkpoint/checkpoint_figures.h"
#include "engine/runtime/service_config.h"
#include "engine/runtime/slot.h"
#include "engine/service/latency_histogram.h"
#include "engine/service/shadow_diff.h"
#include "rules/compiler.h"
#include "state/state_store.h"

namespace engine {

struct ServiceOptions {
  ServiceConfig config;
  std::string bootstrap;  // Kafka to use (config.kafka.brokers, or the embedded broker's)
  std::vector<rules::CompiledRuleset> rulesets;         // live at start (may be empty)
  std::vector<rules::CompiledRuleset> shadow_rulesets;  // in shadow mode at start
  const cep::Clock* clock = nullptr;  // wall time for idle partitions; required
  // Called on each alert after it was handed to the producer (a sink thread;
  // one per ruleset). `cep demo` prints from it; may be empty.
  std::function<void(const cep::v1::Alert&)> on_alert;
  size_t max_record_bytes = 64 * 1024;  // bigger input records are dead-lettered
  size_t poll_batch = 1024;             // records per consumer poll
  size_t ingest_capacity = 65'536;      // records waiting in the HTTP ingest queue
  // Checkpoints (config.state_backend): a store to use instead of the one the
  // backend names, e.g. a memory store that outlives the service in a test.
  state::StateStore* state_store = nullptr;
};

// One rule of one active ruleset lane, since the lane started.
struct RuleCounters {
  std::string ruleset;
  uint32_t version = 0;
  std::string mode;  // live | shadow
  std::string rule;
  uint64_t evaluated = 0;   // events that reached the rule with a key
  uint64_t suppressed = 0;  // alerts held back by `suppress`
  uint64_t late_dropped = 0;
  uint64_t matches = 0;   // alerts of kind match
  uint64_t timeouts = 0;  // alerts of kind timeout
  uint64_t windows = 0;   // alerts of kind window
};

// One input partition as the source thread last saw it.
struct PartitionFigures {
  int32_t partition = 0;        // Service::kIngestPartition for HTTP ingest
  int64_t max_ts_ms = 0;        // largest event time seen
  int64_t watermark_ms = 0;     // max_ts - max_out_of_orderness
  int64_t next_offset = -1;     // the next input offset to read (-1: unknown)
  int64_t end_offset = -1;      // the partition's end as last asked (-1: unknown)
  bool idle = false;            // not holding the watermark back
};

// Counters of a running service, read from any thread.
struct ServiceStats {
  uint64_t records = 0;        // consumed from the input topic
  uint64_t events = 0;         // decoded and routed
  uint64_t dead_letters = 0;   // undecodable records sent to the dead-letter topic
  uint64_t late = 0;           // events behind the watermark on arrival
  uint64_t late_routed = 0;    // late events copied to the late topic
  uint64_t alerts = 0;         // produced to the alerts topic
  uint64_t shadow_alerts = 0;  // produced to the shadow topic
  uint64_t produce_errors = 0;
  uint64_t alerts_already_written = 0;  // raised again after a restore and skipped
  // Alerts read back after a restore that were neither raised again nor passed
  // by the watermark yet: while any are left, checkpoints read back from them.
  uint64_t alerts_read_back_pending = 0;
  cep::EventTime watermark;
  uint64_t restored_checkpoint = 0;     // the checkpoint the service started from, 0 if none
  CheckpointFigures checkpoints;
  std::vector<size_t> queue_depths;  // per ruleset, per slot
  std::vector<RuleCounters> rules;
  std::vector<PartitionFigures> partitions;
  // Wall time from an alert's event time (ts) to its hand-off to the producer, seconds.
  HistogramFigures alert_latency;
  uint64_t ingested = 0;  // records accepted by Ingest (POST /v1/events)
  bool restored = false;  // restore finished (or nothing to restore)
  bool consuming = false;  // the input is assigned or the group joined
  // Scaling out (shared_state_dir): assignments whose partitions were restored
  // from the shared directory, and hand-overs of revoked ones.
  uint64_t assignments = 0;
  uint64_t hand_overs = 0;
};

// What an activation (hot swap) did to each rule of the version swapped in,
// and to the rules of the version before that it no longer has.
struct RuleSwapOutcome {
  std::string rule;
  std::string state;   // kept | started_empty | removed
  std::string reason;  // why it started empty (new, changed, ...)
};

struct ActivationReport {
  std::string ruleset;
  uint32_t version = 0;
  std::string mode;                 // live | shadow
  std::optional<uint32_t> previous;  // the version it replaced in that mode
  double pause_ms = 0;              // the longest time a slot spent swapping
  uint64_t keys_kept = 0;           // key states carried over, over all slots
  uint64_t keys_dropped = 0;        // of rules that changed or are gone
  std::vector<RuleSwapOutcome> rules;
};

// A ruleset version running in one mode (a lane of its own: decoder, slots, sink).
struct ActiveRuleset {
  std::string name;
  uint32_t version = 0;
  std::string mode;  // live | shadow
  uint32_t slots = 0;
  std::shared_ptr<const cep::Program> program;
};

// `cep serve`'s dataflow (ARCHITECTURE.md "Dataflow"): a Kafka consumer in
// the input group, decode, per-partition watermarks, one SlotPool per ruleset,
// and per ruleset a sink thread producing alerts (idempotent producer, key =
// the alert's key; live alerts to the alerts topic, shadow-mode rules to the
// shadow topic). Undecodable records go to the dead-letter topic with the
// reason in the `cep-error` header; late events, when a rule asks for side
// output, to the late topic. Nothing on the per-event path takes a lock.
//
// With checkpoints (config.state_backend rocksdb or memory; README
// "Guarantees"), the service starts from the newest valid checkpoint: state
// restored into the slots, input partitions assigned at the checkpoint's
// offsets (no group rebalance), the alert topics read back from the
// checkpoint's positions so that no alert is written twice. Every
// checkpoint_interval the source injects a barrier (CheckpointCoordinator).
// Without (state_backend none), the input is read through the consumer group.
//
// Threads: one source thread (consume, decode, route, watermarks, dead
// letters, barriers), the slots of each pool, one sink thread per ruleset and
// the checkpoint writer. Stop() (any thread, once) stops consuming, lets the
// slots drain what they have without firing anything early, flushes the
// producers and commits the consumed offsets to the group.
class Service {
 public:
  static cep::Result<std::unique_ptr<Service>> Start(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void Stop();

  // --- Ruleset lifecycle (REST, issue #6). Each call is carried out by the
  // source thread between two records (a point in the stream) once no
  // checkpoint is in flight, and waits up to `timeout` for it. ---
  //
  // Runs `ruleset` in `mode` (live | shadow). When a version of that name runs
  // in that mode already, it is swapped at one point in the stream: every slot
  // carries over the keys, partial matches and windows of each rule whose
  // compiled form (Rule::fingerprint) is unchanged, changed and new rules start
  // empty, and the report says per rule what happened. Otherwise a new lane
  // starts empty. kFailedPrecondition in transactions mode for a new lane (a
  // transaction spans a fixed set of lanes: add or remove rulesets by restart).
  cep::Result<ActivationReport> Activate(rules::CompiledRuleset ruleset, std::string_view mode,
                                         std::chrono::milliseconds timeout);
  // Stops running `name` in `mode`: its slots drain (nothing fires early), its
  // alerts are flushed, its state is dropped. kNotFound when not running.
  cep::Status Deactivate(std::string_view name, std::string_view mode,
                         std::chrono::milliseconds timeout);
  std::vector<ActiveRuleset> active() const;
  // Calls `visit` on each slot thread of every active lane, after every record
  // read so far, and waits until all were visited. `visit` runs concurrently on
  // several slot threads, must not block, and may still run after a timeout:
  // capture by value.
  using SlotVisitor = std::function<void(const ActiveRuleset& lane, uint32_t slot,
                                         const std::vector<KeyGroup>& groups,
                                         const SlotRunners& runners)>;
  cep::Status VisitSlots(SlotVisitor visit, std::chrono::milliseconds timeout);
  // Live shadow diff of `name`, while it runs in shadow mode (nullopt otherwise).
  std::optional<ShadowDiff::Report> shadow_diff(std::string_view name) const;

  // The HTTP ingest hook (POST /v1/events, issue #6): records (the bytes of
  // the input format) that enter the same pipeline as Kafka input, decoded and
  // routed by the source thread in order, with their own partition in the
  // watermark (kIngestPartition; it idles out like any other). Undecodable
  // ones go to the dead-letter topic. Blocks while the ingest queue is full
  // (backpressure), for at most `timeout`: returns how many were queued.
  static constexpr int32_t kIngestPartition = -1;
  size_t Ingest(std::vector<std::string> records, std::chrono::milliseconds timeout);
  // POST /v1/events: JSON objects (one per line), whatever the input format.
  // Each is checked against the schema of the first active ruleset (the one
  // that decides for Kafka input too): a bad one is rejected with its reason,
  // the rest are queued as Ingest does.
  struct IngestResult {
    size_t accepted = 0;
    std::vector<std::pair<size_t, std::string>> rejected;  // (line index, reason)
    bool timed_out = false;    // the queue stayed full: not every good line was taken
    bool no_ruleset = false;   // nothing runs: nothing was taken
  };
  IngestResult IngestJson(std::vector<std::string> lines, std::chrono::milliseconds timeout);

  ServiceStats stats() const;
  // The first error that stopped the service by itself (OK while running well).
  cep::Status error() const;
  bool running() const;

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine
