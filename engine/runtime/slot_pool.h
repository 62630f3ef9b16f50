#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/program.h"
#include "cep/ruleset_runner.h"
#include "engine/runtime/key_groups.h"
#include "engine/runtime/slot.h"

namespace engine {

class SnapshotSink;

struct SlotPoolOptions {
  uint32_t slots = 1;
  size_t queue_capacity = 4096;  // items per slot queue; a full queue blocks Route
  // Alerts per slot not yet collected; at the limit the slot waits for the
  // collector (a slow sink slows the source; memory stays bounded).
  size_t max_pending_alerts = 65'536;
  // Checkpoints: where slots hand their snapshots (null: never checkpointed),
  // and the name their streams start with (the ruleset's).
  SnapshotSink* snapshots = nullptr;
  std::string name{};
  // Alerts raised after a barrier wait in their slot until ReleaseBarrier (Kafka
  // transactions: one transaction holds exactly the alerts before a barrier).
  bool hold_after_barrier = false;
};

// The router and its worker slots (ARCHITECTURE.md "Dataflow"): each event
// goes, once per key group, to the slot owning its key in that group, through
// the slot's bounded queue; watermarks go to every slot in stream order. The
// collector side gathers the alerts the slots published and the watermark all
// of them have completed, which is what makes an ordered, thread-count
// independent output possible (OrderedAlertWriter).
//
// Threading: Route/AdvanceWatermark/Finish/Stop from one router thread;
// Collect from one collector thread (it must keep collecting while the router
// runs: a slot never blocks on its output, but the router blocks on a full
// queue). Stats after Finish or Stop.
class SlotPool {
 public:
  SlotPool(std::shared_ptr<const cep::Program> program, SlotPoolOptions options);
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  // Routes an event; blocks while a target queue is full (backpressure).
  // Returns true when the event is late (ts at or behind the watermark): it is
  // still routed, and each rule's late policy decides in the slot.
  bool Route(std::shared_ptr<const cep::Event> event);
  // Broadcasts a watermark; one that does not advance is ignored.
  void AdvanceWatermark(cep::EventTime watermark);
  cep::EventTime watermark() const { return watermark_; }
  // A checkpoint barrier after everything routed so far: each slot publishes
  // the alerts raised before it, then snapshots its state to the SnapshotSink.
  void Barrier(uint64_t checkpoint);
  // With hold_after_barrier: the alerts held since that barrier may go out.
  void ReleaseBarrier(uint64_t checkpoint);
  // Swaps in another version of the ruleset at this point of the stream
  // (hot swap): every event routed after this call runs on `program`. Each
  // slot, when it reaches the swap, carries over the state of the rules whose
  // fingerprint is unchanged (Slot, "swap") and reports to `on_swapped` on its
  // own thread, once per slot.
  void Swap(std::shared_ptr<const cep::Program> program,
            std::function<void(uint32_t slot, SwapSlotResult)> on_swapped);
  // Calls `visit` on every slot's thread between events, after everything
  // routed so far (explain: a key's live state). `visit` must not block.
  void Visit(std::function<void(uint32_t slot, const std::vector<KeyGroup>&, const SlotRunners&)> visit);
  // Before the first Route: gives each runner its state back. `restore` is
  // called once per slot and key group with the stream's name (SlotStreamName);
  // it restores the runner (RulesetRunner::Restore...FinishRestore) or leaves it
  // empty when the checkpoint has no such stream. Every runner then stands at
  // `watermark` and so does the pool.
  cep::Status Restore(
      const std::function<cep::Status(const std::string& stream, cep::RulesetRunner&)>& restore,
      cep::EventTime watermark);
  // End of input: the watermark goes to +infinity (windows close, timeouts
  // fire), then the slots stop. Idempotent.
  void Finish();
  // Shutdown mid-stream: the slots process what is queued and stop, nothing
  // fires early. Idempotent.
  void Stop();

  struct Output {
    std::vector<cep::v1::Alert> alerts;  // appended, in no particular order
    cep::EventTime done;                 // every slot has completed this watermark
    bool finished = false;               // every slot has stopped; nothing more will come
    uint64_t barrier = 0;  // every slot has passed this checkpoint barrier: the
                           // alerts raised before it are all in `alerts` by now
  };
  // Collects what the slots published, waiting up to `timeout` when there is
  // nothing new.
  void Collect(Output& out, std::chrono::milliseconds timeout);

  uint32_t slots() const { return static_cast<uint32_t>(slots_.size()); }
  const std::vector<KeyGroup>& groups() const { return *groups_; }
  // The version running (router thread).
  const std::shared_ptr<const cep::Program>& program() const { return program_; }
  // Any rule sends late events to the side output (`late side_output`).
  bool wants_late_side_output() const { return late_side_output_; }
  // How far behind the watermark that releases it an alert can be stamped, so
  // how long an ordered writer must hold alerts back (Duration::Infinite()
  // when unbounded). Two causes: a pattern with a skip strategy holds a completed
  // match behind an earlier-starting partial until that one completes or
  // times out (CEP_SEMANTICS.md §8), up to its `within`, or for ever without
  // one; and `late accept within D` admits events up to D behind it.
  // Any thread; after a swap, the larger of the two versions' until the old
  // one's alerts are out.
  cep::Duration ordering_holdback() const {
    return cep::Duration::Millis(ordering_holdback_ms_.load(std::memory_order_relaxed));
  }
  size_t queue_depth(uint32_t slot) const;

  // Merged over slots, by ruleset rule index. Valid after Finish or Stop.
  cep::RunnerStats stats() const;
  // Any thread, while running: per-rule counters of `program` (by its rule
  // index) merged over the slots that run it, as of ~100 ms ago.
  std::vector<cep::RuleStats> live_rule_stats(const cep::Program& program) const;
  uint64_t late_events() const { return late_events_; }
  uint64_t backpressure_waits() const { return backpressure_waits_; }
  // Times a slot waited for the collector (any thread, any time), and the most
  // alerts any slot held (after Finish or Stop).
  uint64_t sink_waits() const;
  size_t max_pending_alerts_seen() const;
  size_t key_count() const;

 private:
  void Broadcast(uint8_t kind, cep::EventTime watermark, uint64_t checkpoint = 0,
                 std::shared_ptr<const SlotCommand> command = nullptr);
  // What the router and the sink need to know of a version.
  void Adopt(std::shared_ptr<const cep::Program> program);

  std::shared_ptr<const cep::Program> program_;
  std::shared_ptr<const std::vector<KeyGroup>> groups_;
  std::unique_ptr<OutputSignal> signal_;
  std::vector<std::unique_ptr<Slot>> slots_;
  cep::EventTime watermark_ = cep::EventTime::Min();
  bool late_side_output_ = false;
  std::atomic<int64_t> ordering_holdback_ms_{0};
  bool stopped_ = false;
  uint64_t late_events_ = 0;
  uint64_t backpressure_waits_ = 0;
};

}  // namespace engine
