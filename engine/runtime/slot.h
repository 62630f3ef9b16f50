#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/ruleset_runner.h"
#include "engine/runtime/key_groups.h"
#include "engine/runtime/snapshot_sink.h"
#include "engine/runtime/spsc_queue.h"

namespace engine {

// What one slot did at a ruleset swap (SlotPool::Swap).
struct SwapSlotResult {
  std::chrono::microseconds pause{0};  // the time the slot spent swapping instead of processing
  uint64_t keys_kept = 0;              // key states carried into the new version
  uint64_t keys_dropped = 0;           // of rules that changed or are gone
  // Rules of the new version that start empty here although their fingerprint
  // is unchanged, with why (a restore failed, e.g. the schema changed).
  std::vector<std::pair<std::string, std::string>> failures;  // (rule, reason)
};

using SlotRunners = std::vector<std::unique_ptr<cep::RulesetRunner>>;

// A request that travels down every slot's queue in stream order, carried as
// one pointer so that an event item stays small.
struct SlotCommand {
  // kSwap: the new version's key groups; each slot reports on_swapped once.
  std::shared_ptr<const std::vector<KeyGroup>> groups;
  std::function<void(uint32_t slot, SwapSlotResult)> on_swapped;
  // kVisit: called on the slot thread, between events, with its runners.
  std::function<void(uint32_t slot, const std::vector<KeyGroup>&, const SlotRunners&)> visit;
};

// What travels down a slot's queue, in stream order.
struct SlotItem {
  enum class Kind : uint8_t { kEvent, kWatermark, kBarrier, kRelease, kSwap, kVisit, kStop };
  Kind kind = Kind::kEvent;
  uint8_t group = 0;  // kEvent: the key group whose runner takes it
  cep::EventTime watermark;
  uint64_t checkpoint = 0;  // kBarrier, kRelease: the checkpoint id
  std::shared_ptr<const cep::Event> event;
  std::shared_ptr<const SlotCommand> command;  // kSwap, kVisit
};

// Wakes whoever collects the slots' output (SlotPool::Collect). A slot bumps
// the version after each publish and takes the mutex only when the collector
// is actually waiting, so a busy pipeline pays one atomic add per batch.
class OutputSignal {
 public:
  void Notify();
  uint64_t version() const { return version_.load(); }
  // Returns when version() != seen, or after `timeout`.
  void WaitChange(uint64_t seen, std::chrono::milliseconds timeout);

 private:
  std::atomic<uint64_t> version_{0};
  std::atomic<int> waiters_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
};

// One worker: a thread that owns a disjoint share of the keys, with one
// RulesetRunner per key group. It takes events and watermarks from its queue
// in order; consecutive watermarks collapse into the last one (the runner's
// result is the same), and a watermark is applied before the next event, so
// what is late is decided exactly as in a single-threaded run. Alerts get their
// wire form here, off the router's thread, and are published with the
// watermark they are complete up to.
//
// A checkpoint barrier (kBarrier) is handled in stream order: the alerts raised
// before it are published and marked (barrier()), then every runner starts a
// copy-on-write snapshot that the slot writes out a few thousand keys at a
// time between batches, handing the bytes to the SnapshotSink, while events
// keep flowing.
//
// A swap (kSwap) replaces the runners at one point of the stream: the old
// ones are snapshotted and each new runner restored from the stream of the
// same key fields, so rules whose fingerprint is unchanged keep their keys,
// partial matches and windows, and changed or new rules start empty.
//
// Threading: the router pushes (one producer), the slot thread pops; the
// outbox is shared with the collector under a mutex taken once per batch that
// raised alerts, never per event.
class Slot {
 public:
  // `max_pending_alerts`: published alerts the collector has not taken yet;
  // at the limit the slot waits for the collector, which backs up its queue
  // and so the router: a slow sink slows the source instead of growing memory.
  // `stream_prefix` names this slot's snapshot streams ("<ruleset>/slot-<i>");
  // `snapshots` may be null when no checkpoint is ever taken.
  // `hold_after_barrier`: alerts raised after a barrier wait in the slot until
  // the barrier is released (kRelease), so a sink can close a Kafka transaction
  // with exactly the alerts before it.
  Slot(uint32_t index, std::shared_ptr<const std::vector<KeyGroup>> groups, size_t queue_capacity,
       size_t max_pending_alerts, OutputSignal& signal, std::string stream_prefix = {},
       SnapshotSink* snapshots = nullptr, bool hold_after_barrier = false);
  ~Slot();
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  SpscQueue<SlotItem>& queue() { return queue_; }
  void Start();
  void Join();

  // Collector side: moves the alerts published so far into `out`.
  void TakeAlerts(std::vector<cep::v1::Alert>& out);
  // Every alert this slot will ever raise at or before this time is published.
  cep::EventTime done_watermark() const {
    return cep::EventTime::FromMillis(done_watermark_.load(std::memory_order_acquire));
  }
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // The last checkpoint barrier this slot passed: every alert raised before it
  // is published (read it before TakeAlerts, like done_watermark).
  uint64_t barrier() const { return barrier_.load(std::memory_order_acquire); }

  // Before Start: the state of group `g` from a checkpoint, and the watermark
  // it was taken at.
  cep::RulesetRunner& runner_to_restore(size_t g) { return *runners_[g]; }
  void RestoredTo(cep::EventTime watermark);
  // The name of group `g`'s snapshot stream.
  std::string StreamName(size_t g) const;

  // After Join (or from the slot thread).
  const SlotRunners& runners() const { return runners_; }
  const std::vector<KeyGroup>& groups() const { return *groups_; }
  // Any thread: per-rule counters (by ruleset rule index) as of at most
  // ~100 ms ago, and the groups (so the version) they count.
  std::vector<cep::RuleStats> live_rule_stats(
      std::shared_ptr<const std::vector<KeyGroup>>& groups) const;
  size_t queue_depth() const { return queue_.size(); }
  // The most alerts that waited in the outbox at once (after Join), and how
  // often the slot had to wait for the collector (any time).
  size_t max_pending_alerts_seen() const { return max_outbox_; }
  uint64_t sink_waits() const { return sink_waits_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void Apply(cep::EventTime watermark);
  // Advances every runner to `watermark` (>= theirs) and builds the alerts raised.
  void Raise(cep::EventTime watermark);
  void Publish();
  void BeginSnapshot(uint64_t checkpoint);
  void Swap(const SlotCommand& command);
  void PublishStats(bool now);
  // Writes a step of the snapshot in progress; hands it over when complete.
  void ContinueSnapshot();

  const uint32_t index_;
  std::shared_ptr<const std::vector<KeyGroup>> groups_;  // slot thread (and before Start)
  SpscQueue<SlotItem> queue_;
  OutputSignal& signal_;
  std::vector<std::unique_ptr<cep::RulesetRunner>> runners_;  // by group
  std::vector<cep::RuleAlert> raised_;
  std::vector<cep::v1::Alert> ready_;  // built, not yet published
  cep::EventTime applied_ = cep::EventTime::Min();
  const size_t max_pending_alerts_;
  std::mutex outbox_mutex_;
  std::condition_variable outbox_taken_;
  std::vector<cep::v1::Alert> outbox_;  // guarded by outbox_mutex_
  size_t max_outbox_ = 0;               // guarded by outbox_mutex_
  std::atomic<uint64_t> sink_waits_{0};
  std::atomic<int64_t> done_watermark_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> barrier_{0};
  const bool hold_after_barrier_;
  uint64_t released_ = 0;  // the last barrier released (kRelease)
  const std::string stream_prefix_;
  SnapshotSink* const snapshots_;
  uint64_t snapshotting_ = 0;  // the checkpoint being written, 0 when none
  std::chrono::microseconds longest_pause_{0};
  std::string snapshot_bytes_;  // reused
  std::chrono::steady_clock::time_point stats_published_{};
  mutable std::mutex stats_mutex_;
  std::shared_ptr<const std::vector<KeyGroup>> stats_groups_;  // guarded by stats_mutex_
  std::vector<cep::RuleStats> stats_;                  // guarded by stats_mutex_
  std::thread thread_;
};

}  // namespace engine
