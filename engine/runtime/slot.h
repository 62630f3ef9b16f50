#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/ruleset_runner.h"
#include "engine/runtime/key_groups.h"
#include "engine/runtime/spsc_queue.h"

namespace engine {

// What travels down a slot's queue, in stream order.
struct SlotItem {
  enum class Kind : uint8_t { kEvent, kWatermark, kStop };
  Kind kind = Kind::kEvent;
  uint8_t group = 0;  // kEvent: the key group whose runner takes it
  cep::EventTime watermark;
  std::shared_ptr<const cep::Event> event;
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
// Threading: the router pushes (one producer), the slot thread pops; the
// outbox is shared with the collector under a mutex taken once per batch that
// raised alerts, never per event.
class Slot {
 public:
  // `max_pending_alerts`: published alerts the collector has not taken yet;
  // at the limit the slot waits for the collector, which backs up its queue
  // and so the router: a slow sink slows the source instead of growing memory.
  Slot(const std::vector<KeyGroup>& groups, size_t queue_capacity, size_t max_pending_alerts,
       OutputSignal& signal);
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

  // After Join (or from the slot thread).
  const std::vector<std::unique_ptr<cep::RulesetRunner>>& runners() const { return runners_; }
  size_t queue_depth() const { return queue_.size(); }
  // The most alerts that waited in the outbox at once (after Join), and how
  // often the slot had to wait for the collector (any time).
  size_t max_pending_alerts_seen() const { return max_outbox_; }
  uint64_t sink_waits() const { return sink_waits_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void Apply(cep::EventTime watermark);
  void Publish();

  const std::vector<KeyGroup>& groups_;
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
  std::thread thread_;
};

}  // namespace engine
