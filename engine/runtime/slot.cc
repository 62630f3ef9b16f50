#include "engine/runtime/slot.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "engine/sink/alert_factory.h"

namespace engine {

void OutputSignal::Notify() {
  version_.fetch_add(1);
  if (waiters_.load() == 0) return;
  // Taking the mutex orders this notify after a waiter's predicate check.
  { std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

void OutputSignal::WaitChange(uint64_t seen, std::chrono::milliseconds timeout) {
  waiters_.fetch_add(1);
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return version_.load() != seen; });
  }
  waiters_.fetch_sub(1);
}

Slot::Slot(uint32_t index, std::shared_ptr<const std::vector<KeyGroup>> groups,
           size_t queue_capacity, size_t max_pending_alerts, OutputSignal& signal,
           std::string stream_prefix, SnapshotSink* snapshots, bool hold_after_barrier)
    : index_(index),
      groups_(std::move(groups)),
      queue_(queue_capacity),
      signal_(signal),
      max_pending_alerts_(std::max<size_t>(1, max_pending_alerts)),
      done_watermark_(cep::EventTime::Min().millis()),
      hold_after_barrier_(hold_after_barrier),
      stream_prefix_(std::move(stream_prefix)),
      snapshots_(snapshots) {
  runners_.reserve(groups_->size());
  for (const KeyGroup& group : *groups_) {
    runners_.push_back(std::make_unique<cep::RulesetRunner>(group.program));
  }
}

Slot::~Slot() { Join(); }

void Slot::Start() { thread_ = std::thread([this] { Run(); }); }

void Slot::Join() {
  if (thread_.joinable()) thread_.join();
}

void Slot::TakeAlerts(std::vector<cep::v1::Alert>& out) {
  {
    std::lock_guard lock(outbox_mutex_);
    if (outbox_.empty()) return;
    if (out.empty()) {
      out.swap(outbox_);
    } else {
      for (auto& alert : outbox_) out.push_back(std::move(alert));
      outbox_.clear();
    }
  }
  outbox_taken_.notify_one();
}

void Slot::RestoredTo(cep::EventTime watermark) {
  applied_ = std::max(applied_, watermark);
  done_watermark_.store(applied_.millis(), std::memory_order_release);
}

namespace {

// A group's key field list, "none" when unkeyed: what a group's state is found
// by across versions (a changed ruleset may regroup rules).
std::string KeyFieldsName(const KeyGroup& group) {
  std::string name;
  if (group.key_slots.empty()) name += "none";
  for (size_t i = 0; i < group.key_slots.size(); ++i) {
    if (i > 0) name += ',';
    name += group.program->schema->field(group.key_slots[i]).name;
  }
  return name;
}

}  // namespace

std::string Slot::StreamName(size_t g) const {
  return stream_prefix_ + "/key-" + KeyFieldsName((*groups_)[g]);
}

void Slot::BeginSnapshot(uint64_t checkpoint) {
  // A barrier while the last snapshot is still being written: that checkpoint
  // was given up (a write failed). Finish it for nothing, then start over.
  while (snapshotting_ != 0) ContinueSnapshot();
  const auto start = std::chrono::steady_clock::now();
  // Late alerts a runner holds for its next watermark belong before the
  // barrier: flush them (the same watermark again fires nothing new).
  Raise(applied_);
  Publish();
  barrier_.store(checkpoint, std::memory_order_release);
  signal_.Notify();
  if (snapshots_ == nullptr) return;
  for (auto& runner : runners_) runner->BeginSnapshot();
  snapshotting_ = checkpoint;
  longest_pause_ = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
}

void Slot::ContinueSnapshot() {
  // A step is short next to a batch of events: the snapshot must not stall
  // processing for long (the pause is what a checkpoint costs in latency).
  constexpr size_t kKeysPerStep = 2048;
  const auto start = std::chrono::steady_clock::now();
  bool done = true;
  for (size_t g = 0; g < runners_.size(); ++g) {
    cep::RulesetRunner& runner = *runners_[g];
    if (runner.snapshotting()) done = runner.ContinueSnapshot(kKeysPerStep) && done;
    snapshot_bytes_.clear();
    runner.TakeSnapshotBytes(snapshot_bytes_);
    if (!snapshot_bytes_.empty()) {
      snapshots_->OnSnapshotBytes(snapshotting_, StreamName(g), std::move(snapshot_bytes_));
    }
    if (!done) break;  // one group's step at a time
  }
  longest_pause_ = std::max(longest_pause_, std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - start));
  if (!done) return;
  std::vector<RuleStateFigures> rules;
  for (size_t g = 0; g < runners_.size(); ++g) {
    for (const cep::SnapshotStats::PerRule& rule : runners_[g]->last_snapshot_stats().rules) {
      rules.push_back({(*groups_)[g].program->ruleset + "/" + rule.name, rule.keys, rule.bytes,
                       rule.partial_matches});
    }
  }
  snapshots_->OnSlotSnapshotted(snapshotting_, longest_pause_, rules);
  snapshotting_ = 0;
}

void Slot::PublishStats(bool now) {
  constexpr auto kEvery = std::chrono::milliseconds(100);
  const auto at = std::chrono::steady_clock::now();
  if (!now && at - stats_published_ < kEvery) return;
  stats_published_ = at;
  std::vector<cep::RuleStats> merged;
  for (size_t g = 0; g < runners_.size(); ++g) {
    const KeyGroup& group = (*groups_)[g];
    const cep::RunnerStats& stats = runners_[g]->stats();
    for (size_t r = 0; r < stats.rules.size(); ++r) {
      const uint32_t index = group.rule_index[r];
      if (merged.size() <= index) merged.resize(index + 1);
      merged[index] = stats.rules[r];
    }
  }
  std::lock_guard lock(stats_mutex_);
  stats_.swap(merged);
  stats_groups_ = groups_;
}

std::vector<cep::RuleStats> Slot::live_rule_stats(
    std::shared_ptr<const std::vector<KeyGroup>>& groups) const {
  std::lock_guard lock(stats_mutex_);
  groups = stats_groups_;
  return stats_;
}

void Slot::Swap(const SlotCommand& command) {
  const auto start = std::chrono::steady_clock::now();
  // A checkpoint's snapshot in progress is of the old version: finish it.
  while (snapshotting_ != 0) ContinueSnapshot();
  // Alerts the old runners hold for their next watermark are the old version's.
  Raise(applied_);
  Publish();
  std::map<std::string, std::string> old_state;  // by key field list
  for (size_t g = 0; g < runners_.size(); ++g) {
    cep::RulesetRunner& runner = *runners_[g];
    runner.BeginSnapshot();
    while (!runner.ContinueSnapshot(SIZE_MAX)) {
    }
    runner.TakeSnapshotBytes(old_state[KeyFieldsName((*groups_)[g])]);
  }
  SwapSlotResult result;
  SlotRunners runners;
  std::vector<cep::RuleAlert> none;
  for (const KeyGroup& group : *command.groups) {
    auto runner = std::make_unique<cep::RulesetRunner>(group.program);
    auto found = old_state.find(KeyFieldsName(group));
    if (found != old_state.end()) {
      cep::Status status = runner->Restore(found->second);
      cep::Result<cep::RestoreStats> stats =
          status.ok() ? runner->FinishRestore() : cep::Result<cep::RestoreStats>(cep::Unexpected(status));
      if (stats) {
        result.keys_kept += stats->keys_restored;
        result.keys_dropped += stats->keys_skipped;
      } else {
        // The state cannot carry over (another schema, say): these rules start empty.
        for (const cep::Rule& rule : group.program->rules) {
          result.failures.emplace_back(rule.name, stats.error().message());
        }
        runner = std::make_unique<cep::RulesetRunner>(group.program);
      }
    }
    if (runner->watermark() < applied_) runner->AdvanceWatermark(applied_, none);
    runners.push_back(std::move(runner));
  }
  runners_ = std::move(runners);
  groups_ = command.groups;
  PublishStats(true);
  result.pause = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  if (command.on_swapped) command.on_swapped(index_, std::move(result));
}

void Slot::Apply(cep::EventTime watermark) {
  if (watermark <= applied_) return;
  applied_ = watermark;
  Raise(watermark);
}

void Slot::Raise(cep::EventTime watermark) {
  for (size_t g = 0; g < runners_.size(); ++g) {
    runners_[g]->AdvanceWatermark(watermark, raised_);
    for (const cep::RuleAlert& alert : raised_) {
      ready_.push_back(MakeWireAlert(*(*groups_)[g].program, alert));
    }
    raised_.clear();
  }
}

void Slot::Publish() {
  // Held: these alerts belong after a barrier whose transaction is still open.
  if (hold_after_barrier_ && barrier_.load(std::memory_order_relaxed) > released_) return;
  const bool moved = !ready_.empty();
  if (moved) {
    std::unique_lock lock(outbox_mutex_);
    for (auto& alert : ready_) outbox_.push_back(std::move(alert));
    max_outbox_ = std::max(max_outbox_, outbox_.size());
    if (outbox_.size() >= max_pending_alerts_) {
      // Backpressure from the sink. Tell the collector first: it may be waiting.
      sink_waits_.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      signal_.Notify();
      lock.lock();
      outbox_taken_.wait(lock, [&] { return outbox_.size() < max_pending_alerts_; });
    }
  }
  ready_.clear();
  PublishStats(false);
  // Release: the collector that reads this watermark also sees the alerts.
  done_watermark_.store(applied_.millis(), std::memory_order_release);
  // Wake the collector for alerts only: watermark progress alone is picked up
  // at its next poll, so a slot that keeps up does not cost a wake-up per batch.
  if (moved) signal_.Notify();
}

void Slot::Run() {
  SlotItem item;
  // Not applied_: a restore may set that after this thread started (it is read
  // only after the first pop, which orders it).
  cep::EventTime pending = cep::EventTime::Min();
  // A batch is at most one queue's worth, so what one publish adds to the
  // outbox is bounded even while the router keeps the queue full.
  const size_t batch_limit = queue_.capacity();
  for (;;) {
    if (snapshotting_ != 0) {
      // Write the snapshot while there is nothing to process.
      if (!queue_.TryPop(item)) {
        ContinueSnapshot();
        continue;
      }
    } else {
      queue_.Pop(item);
    }
    size_t batch = 0;
    // Drain what is queued without blocking, then publish once for the lot.
    do {
      switch (item.kind) {
        case SlotItem::Kind::kEvent:
          Apply(pending);  // the watermark that preceded the event, as in one thread
          runners_[item.group]->OnEvent(std::move(item.event));
          break;
        case SlotItem::Kind::kWatermark:
          if (item.watermark > pending) pending = item.watermark;
          break;
        case SlotItem::Kind::kRelease:
          released_ = std::max(released_, item.checkpoint);
          break;
        case SlotItem::Kind::kBarrier:
          Apply(pending);
          // A barrier before the last one's snapshot is written means that
          // checkpoint was given up: start over.
          BeginSnapshot(item.checkpoint);
          break;
        case SlotItem::Kind::kSwap:
          Apply(pending);
          Swap(*item.command);
          break;
        case SlotItem::Kind::kVisit:
          Apply(pending);
          item.command->visit(index_, *groups_, runners_);
          break;
        case SlotItem::Kind::kStop:
          Apply(pending);
          Publish();
          PublishStats(true);
          stopped_.store(true, std::memory_order_release);
          signal_.Notify();
          return;
      }
    } while (++batch < batch_limit && queue_.TryPop(item));
    Apply(pending);
    Publish();
    if (snapshotting_ != 0) ContinueSnapshot();
  }
}

}  // namespace engine
