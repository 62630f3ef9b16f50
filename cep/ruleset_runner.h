#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cep/base/result.h"
#include "cep/base/status.h"
#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/event_time_buffer.h"
#include "cep/field_value.h"
#include "cep/key_explanation.h"
#include "cep/program.h"

namespace cep {

struct KeyState;

// What a rule raised, before the engine gives it a wire form (cep::v1::Alert).
struct RuleAlert {
  enum class Kind : uint8_t { kMatch, kTimeout, kWindow };
  uint32_t rule = 0;  // index into Program::rules
  Kind kind = Kind::kMatch;
  std::string key;
  EventTime ts;
  // The completing event (patterns) or the evaluated one (`window last`); null
  // for alerts fired by the watermark.
  std::shared_ptr<const Event> event;
  std::vector<std::vector<std::shared_ptr<const Event>>> stages;  // patterns, by StageIndex
  // Window alerts: the aggregates (or the emit fields). Pattern alerts: the emit
  // fields; without `emit`, the fields the stages' conditions compared
  // (PatternBody::compared_fields), from each stage's last event.
  std::vector<std::pair<std::string, FieldValue>> fields;
};

struct RuleStats {
  uint64_t evaluated = 0;   // events that passed the rule's `where` and had a key
  uint64_t alerts = 0;      // emitted
  uint64_t suppressed = 0;  // held back by `suppress`
  uint64_t unkeyed = 0;     // events whose key field was null
  uint64_t late = 0;        // late events this rule dropped
};

struct RunnerStats {
  uint64_t events = 0;          // offered
  uint64_t late_events = 0;     // ts <= watermark on arrival
  uint64_t late_side_output = 0;
  std::vector<RuleStats> rules;  // by rule index
};

// Figures of one checkpoint of a RulesetRunner (cep/README.md, "Checkpoints").
struct SnapshotStats {
  struct PerRule {
    std::string name;
    uint64_t keys = 0;             // key records written
    uint64_t bytes = 0;            // bytes of those records
    uint64_t partial_matches = 0;  // patterns: partial matches alive in them
  };
  std::vector<PerRule> rules;  // by rule index
  uint64_t pending_events = 0;  // buffered for the watermark, in the header
  uint64_t bytes = 0;           // every record, header and end included
  uint64_t copied_on_write = 0;  // keys written early because they were about to change
};

// What FinishRestore restored.
struct RestoreStats {
  uint64_t keys_restored = 0;
  uint64_t keys_skipped = 0;   // records of rules that changed or are gone
  uint64_t keys_of_other_partitions = 0;  // not in Restore's `partitions`
  // Keys an earlier snapshot restored already for another partition (a key whose
  // events came from two input partitions): the first restore's state stays.
  uint64_t keys_conflicting = 0;
  uint64_t pending_events = 0;
  // Rules of this program that start empty: changed since the snapshot (another
  // fingerprint or kind), or new.
  std::vector<std::string> rules_started_empty;
  // Rules of the snapshot this program does not have (by name): their keys are dropped.
  std::vector<std::string> rules_dropped;
};

// Runs every rule of a Program over a stream of events in event time
// (CEP_SEMANTICS.md §7): events wait until the watermark covers them and are
// then matched in (ts, arrival) order, so results do not depend on arrival
// order. Each rule keeps one state per key (an NFA matcher, or window state),
// created on the key's first event; timers (pattern `within`, window ends)
// fire from the watermark. Pure computation: no I/O, no clock, no threads.
//
// Threading: one owner (a slot, or the replay loop).
class RulesetRunner {
 public:
  explicit RulesetRunner(std::shared_ptr<const Program> program);
  ~RulesetRunner();
  RulesetRunner(const RulesetRunner&) = delete;
  RulesetRunner& operator=(const RulesetRunner&) = delete;

  // Offers an event in arrival order. An event at or behind the watermark is
  // late: each rule's late policy applies, and when a rule asks for side output
  // the event is appended to `late_out` (once).
  void OnEvent(std::shared_ptr<const Event> event,
               std::vector<std::shared_ptr<const Event>>* late_out = nullptr);

  // Moves the watermark forward (never back: CHECK): matches every buffered
  // event with ts <= watermark, then fires the timers due by it. Appends the
  // alerts raised, per (rule, key) in ts order. EventTime::Max() ends the
  // stream: windows close and pending `within` timeouts fire.
  void AdvanceWatermark(EventTime watermark, std::vector<RuleAlert>& out);

  EventTime watermark() const { return watermark_; }
  const RunnerStats& stats() const { return stats_; }
  const Program& program() const { return *program_; }
  // Keys with live state, over all rules.
  size_t key_count() const;

  // The live state of one key (its text as alerts carry it, RuleAlert::key: `key
  // F, G` joined by '|', "" for `key none`) across every rule: partial matches,
  // window aggregates, suppression (cep/key_explanation.h). Empty `rules` when no
  // rule holds state for it. Read-only: matching, timers and snapshots are not
  // affected. Cost: a lookup per key table, the key's states, and one pass over
  // the events buffered for the watermark (ruleset_runner_explain.cc).
  KeyExplanation Explain(std::string_view key) const;

  // --- Checkpoints (ARCHITECTURE.md "Fault tolerance"; format: cep/README.md) ---
  // Starts a snapshot of the runner's state as of now, while it keeps running:
  // the header (watermark, events buffered for the watermark, the rules) is
  // written at once; keys are written a few at a time by ContinueSnapshot, and
  // a key about to change (event, timer, eviction) is written first, so the
  // snapshot is the state at this call whatever happens after. Keys created
  // after this call are not in it. Precondition (CHECK): no late alerts are
  // waiting (call AdvanceWatermark(watermark(), out) first) and no snapshot is
  // in progress.
  void BeginSnapshot();
  // Writes up to `max_keys` more keys (and looks at a bounded number of free
  // key slots); true when the snapshot is complete (the end record is written).
  bool ContinueSnapshot(size_t max_keys);
  bool snapshotting() const { return snapshotting_; }
  // Moves out the bytes written so far: whole records only, empty when none.
  void TakeSnapshotBytes(std::string& out);
  // Figures of the last completed snapshot.
  const SnapshotStats& last_snapshot_stats() const;

  // Restoring, on a runner that has seen no event yet (CHECK): feed every byte
  // a snapshot produced, in order, in the pieces TakeSnapshotBytes returned (any
  // concatenation of whole records is fine), then FinishRestore. Keys of a rule
  // this program does not have (by name), or whose Rule::fingerprint or kind
  // differs, are skipped and counted: that rule starts empty. Corrupt bytes (bad
  // checksum, truncated record, wrong magic, bad state) are kDataLoss with a
  // message naming the record; pending events written under another schema are
  // kFailedPrecondition. After an error the runner must be thrown away.
  // `partitions`, when not empty, restores only the keys whose latest event came
  // from one of these input partitions (Event::partition), and those buffered
  // events: state moves with its partition. The same list on every call.
  // After FinishRestore, another snapshot may be restored on top (before any
  // event) for other partitions: the runner then stands at the lower watermark.
  Status Restore(std::string_view records, const std::vector<int32_t>& partitions = {});
  // Checks the snapshot was complete (header and end record seen, every key
  // record present; kDataLoss otherwise) and re-arms the restored keys' timers.
  Result<RestoreStats> FinishRestore();

 private:
  struct RuleRuntime;
  struct Timer;
  class KeyTable;
  struct SnapshotProgress;
  struct RestoreProgress;

  // Matches one released (or accepted late) event against every rule.
  void ProcessEvent(const std::shared_ptr<const Event>& event, std::vector<RuleAlert>& out);
  void Process(uint32_t rule, const std::shared_ptr<const Event>& event, std::vector<RuleAlert>& out);
  // The id of the event's key in the rule's key table (one lookup per event per
  // distinct key field list), or nullopt when a key field is null.
  std::optional<uint32_t> KeyIdOf(uint32_t table, const Event& event);
  KeyState& StateFor(uint32_t rule, uint32_t key);
  // Prefetches the key index slots an event will look up: a hint for an event a
  // few places ahead in a released batch, no effect on results.
  void PrefetchKeys(const Event& event);
  void ProcessPattern(uint32_t rule, uint32_t key, KeyState& state,
                      const std::shared_ptr<const Event>& event, std::vector<RuleAlert>& out);
  void ProcessWindow(uint32_t rule, uint32_t key, KeyState& state,
                     const std::shared_ptr<const Event>& event, std::vector<RuleAlert>& out);
  void FireTimers(EventTime watermark, std::vector<RuleAlert>& out);
  void FireTimer(const Timer& timer, EventTime watermark, std::vector<RuleAlert>& out);
  void FireKey(uint32_t rule, uint32_t key, KeyState& state, EventTime watermark,
               std::vector<RuleAlert>& out);
  // `trigger`: the event being processed, when the matches came from OnEvent.
  void EmitMatches(uint32_t rule, uint32_t key, KeyState& state, std::vector<RuleAlert>& out,
                   const std::shared_ptr<const Event>* trigger = nullptr);
  void EmitWindow(uint32_t rule, uint32_t key, KeyState& state, EventTime ts,
                  std::shared_ptr<const Event> event, std::span<const Value> aggregates,
                  std::vector<RuleAlert>& out);
  void Deliver(uint32_t rule, KeyState& state, RuleAlert alert, std::vector<RuleAlert>& out);
  void Arm(uint32_t rule, uint32_t key, KeyState& state, EventTime when);
  const std::string& KeyText(uint32_t rule, uint32_t key) const;
  // Checkpoints (ruleset_runner_snapshot.cc): writes the key's record to the
  // snapshot in progress and marks it written.
  void WriteKeyRecord(uint32_t rule, uint32_t key, KeyState& state);
  void WriteHeaderRecord();
  Status RestoreRecord(uint8_t type, std::string_view payload);
  Status RestoreHeader(std::string_view payload);
  Status RestoreKey(std::string_view payload);

  std::shared_ptr<const Program> program_;
  std::vector<std::unique_ptr<RuleRuntime>> rules_;
  // One key table per distinct `key` field list: rules keyed alike share the
  // key's text and its lookup, done once per event.
  std::vector<std::unique_ptr<KeyTable>> key_tables_;
  struct CachedKey {
    uint64_t serial = 0;  // event_serial_ when computed
    std::optional<uint32_t> id;
  };
  std::vector<CachedKey> cached_keys_;  // by key table, for the event in hand
  uint64_t event_serial_ = 0;
  bool pointed_ = false;  // the evaluation scratch points at the event in hand
  std::string key_buffer_;
  std::string prefetch_buffer_;
  EventTimeBuffer pending_;
  std::vector<Timer> timers_;  // a min-heap by time
  std::vector<Timer> due_;     // reused by FireTimers
  EventTime watermark_ = EventTime::Min();
  RunnerStats stats_;
  std::vector<std::shared_ptr<const Event>> released_;  // reused per watermark
  std::vector<RuleAlert> late_alerts_;  // from late events a rule accepted; out at the next watermark
  // Checkpoints: the hot path reads only these two; the rest lives in the .cc.
  bool snapshotting_ = false;
  uint32_t snapshot_epoch_ = 0;  // KeyState::snapshot_epoch
  uint32_t restores_finished_ = 0;  // snapshots restored (several: one per assigned partition set)
  std::unique_ptr<SnapshotProgress> snapshot_;
  std::unique_ptr<RestoreProgress> restore_;
};

}  // namespace cep
