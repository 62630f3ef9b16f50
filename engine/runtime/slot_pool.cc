#include "engine/runtime/slot_pool.h"

#include <algorithm>
#include <string>
#include <utility>

#include "engine/runtime/slot.h"

namespace engine {

SlotPool::SlotPool(std::shared_ptr<const cep::Program> program, SlotPoolOptions options)
    : signal_(std::make_unique<OutputSignal>()) {
  Adopt(std::move(program));
  const uint32_t count = std::max<uint32_t>(1, options.slots);
  for (uint32_t i = 0; i < count; ++i) {
    slots_.push_back(std::make_unique<Slot>(
        i, groups_, options.queue_capacity, options.max_pending_alerts, *signal_,
        options.name + "/slot-" + std::to_string(i), options.snapshots,
        options.hold_after_barrier));
  }
  for (auto& slot : slots_) slot->Start();
}

void SlotPool::Adopt(std::shared_ptr<const cep::Program> program) {
  program_ = std::move(program);
  groups_ = std::make_shared<const std::vector<KeyGroup>>(SplitByKey(*program_));
  CHECK(groups_->size() <= 255, "at most 255 distinct key field lists in a ruleset");
  late_side_output_ = false;
  cep::Duration ordering_holdback;
  for (const cep::Rule& rule : program_->rules) {
    if (rule.late.kind == cep::LatePolicy::Kind::kSideOutput) late_side_output_ = true;
    cep::Duration holdback;
    if (rule.late.kind == cep::LatePolicy::Kind::kAccept) holdback = rule.late.accept_within;
    if (rule.is_pattern()) {
      const cep::Pattern& pattern = std::get<cep::PatternBody>(rule.body).nfa->pattern();
      if (pattern.skip.strategy != cep::SkipStrategy::kNoSkip) {
        const cep::Duration within = pattern.within.value_or(cep::Duration::Infinite());
        holdback = within.is_infinite() || holdback.is_infinite() ? cep::Duration::Infinite()
                                                                  : holdback + within;
      }
    }
    ordering_holdback = std::max(ordering_holdback, holdback);
  }
  // Never shrinks: alerts of the version before may still be held that long.
  const int64_t ms = ordering_holdback.millis();
  if (ms > ordering_holdback_ms_.load(std::memory_order_relaxed)) {
    ordering_holdback_ms_.store(ms, std::memory_order_relaxed);
  }
}

void SlotPool::Swap(std::shared_ptr<const cep::Program> program,
                    std::function<void(uint32_t slot, SwapSlotResult)> on_swapped) {
  if (stopped_) return;
  Adopt(std::move(program));
  auto command = std::make_shared<SlotCommand>();
  command->groups = groups_;
  command->on_swapped = std::move(on_swapped);
  Broadcast(static_cast<uint8_t>(SlotItem::Kind::kSwap), watermark_, 0, std::move(command));
}

void SlotPool::Visit(
    std::function<void(uint32_t slot, const std::vector<KeyGroup>&, const SlotRunners&)> visit) {
  if (stopped_) return;
  auto command = std::make_shared<SlotCommand>();
  command->visit = std::move(visit);
  Broadcast(static_cast<uint8_t>(SlotItem::Kind::kVisit), watermark_, 0, std::move(command));
}

SlotPool::~SlotPool() { Stop(); }

bool SlotPool::Route(std::shared_ptr<const cep::Event> event) {
  const bool late = event->ts() <= watermark_;
  if (late) ++late_events_;
  const uint32_t n = slots();
  // The last group takes the caller's reference; earlier ones copy it.
  const std::vector<KeyGroup>& groups = *groups_;
  for (size_t g = 0; g < groups.size(); ++g) {
    const uint32_t slot = SlotOf(groups[g], *event, n);
    SlotItem item;
    item.group = static_cast<uint8_t>(g);
    item.event = g + 1 == groups.size() ? std::move(event) : event;
    backpressure_waits_ += slots_[slot]->queue().Push(std::move(item));
  }
  return late;
}

void SlotPool::Broadcast(uint8_t kind, cep::EventTime watermark, uint64_t checkpoint,
                         std::shared_ptr<const SlotCommand> command) {
  for (auto& slot : slots_) {
    SlotItem item;
    item.kind = static_cast<SlotItem::Kind>(kind);
    item.watermark = watermark;
    item.checkpoint = checkpoint;
    item.command = command;
    backpressure_waits_ += slot->queue().Push(std::move(item));
  }
}

void SlotPool::AdvanceWatermark(cep::EventTime watermark) {
  if (stopped_ || watermark <= watermark_) return;
  watermark_ = watermark;
  Broadcast(static_cast<uint8_t>(SlotItem::Kind::kWatermark), watermark);
}

void SlotPool::Barrier(uint64_t checkpoint) {
  if (stopped_) return;
  Broadcast(static_cast<uint8_t>(SlotItem::Kind::kBarrier), watermark_, checkpoint);
}

void SlotPool::ReleaseBarrier(uint64_t checkpoint) {
  if (stopped_) return;
  Broadcast(static_cast<uint8_t>(SlotItem::Kind::kRelease), watermark_, checkpoint);
}

cep::Status SlotPool::Restore(
    const std::function<cep::Status(const std::string& stream, cep::RulesetRunner&)>& restore,
    cep::EventTime watermark) {
  std::vector<cep::RuleAlert> none;
  for (auto& slot : slots_) {
    for (size_t g = 0; g < groups_->size(); ++g) {
      cep::RulesetRunner& runner = slot->runner_to_restore(g);
      RETURN_IF_ERROR(restore(slot->StreamName(g), runner));
      // A group the checkpoint did not have starts empty, at the same watermark.
      if (runner.watermark() < watermark) runner.AdvanceWatermark(watermark, none);
      CHECK(none.empty(), "an empty runner raises nothing");
    }
    slot->RestoredTo(watermark);
  }
  watermark_ = std::max(watermark_, watermark);
  return cep::Status();
}

void SlotPool::Finish() {
  AdvanceWatermark(cep::EventTime::Max());
  Stop();
}

void SlotPool::Stop() {
  if (stopped_) return;
  stopped_ = true;
  Broadcast(static_cast<uint8_t>(SlotItem::Kind::kStop), watermark_);
  for (auto& slot : slots_) slot->Join();
}

void SlotPool::Collect(Output& out, std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const uint64_t seen = signal_->version();
    // Watermarks and stop flags first: the alerts taken afterwards include
    // every alert published up to them.
    cep::EventTime done = cep::EventTime::Max();
    bool finished = true;
    uint64_t barrier = UINT64_MAX;
    for (auto& slot : slots_) {
      finished = slot->stopped() && finished;
      done = std::min(done, slot->done_watermark());
      barrier = std::min(barrier, slot->barrier());
    }
    const size_t before = out.alerts.size();
    for (auto& slot : slots_) slot->TakeAlerts(out.alerts);
    const bool news = out.alerts.size() != before || done != out.done ||
                      finished != out.finished || barrier != out.barrier;
    out.done = done;
    out.finished = finished;
    out.barrier = barrier;
    if (news || finished || attempt == 1) return;
    signal_->WaitChange(seen, timeout);
  }
}

size_t SlotPool::queue_depth(uint32_t slot) const { return slots_.at(slot)->queue_depth(); }

cep::RunnerStats SlotPool::stats() const {
  cep::RunnerStats merged;
  merged.rules.resize(program_->rules.size());
  merged.late_events = late_events_;
  for (const auto& slot : slots_) {
    for (size_t g = 0; g < slot->groups().size(); ++g) {
      const cep::RunnerStats& s = slot->runners()[g]->stats();
      if (g == 0) merged.events += s.events;
      merged.late_side_output += s.late_side_output;
      for (size_t r = 0; r < s.rules.size(); ++r) {
        cep::RuleStats& into = merged.rules[slot->groups()[g].rule_index[r]];
        into.evaluated += s.rules[r].evaluated;
        into.alerts += s.rules[r].alerts;
        into.suppressed += s.rules[r].suppressed;
        into.unkeyed += s.rules[r].unkeyed;
        into.late += s.rules[r].late;
      }
    }
  }
  return merged;
}

std::vector<cep::RuleStats> SlotPool::live_rule_stats(const cep::Program& program) const {
  std::vector<cep::RuleStats> merged(program.rules.size());
  for (const auto& slot : slots_) {
    std::shared_ptr<const std::vector<KeyGroup>> groups;
    const std::vector<cep::RuleStats> stats = slot->live_rule_stats(groups);
    // A slot still on another version (mid-swap) counts for that one.
    if (groups == nullptr || groups->empty() || groups->front().program->version != program.version) {
      continue;
    }
    for (size_t r = 0; r < stats.size() && r < merged.size(); ++r) {
      merged[r].evaluated += stats[r].evaluated;
      merged[r].alerts += stats[r].alerts;
      merged[r].suppressed += stats[r].suppressed;
      merged[r].unkeyed += stats[r].unkeyed;
      merged[r].late += stats[r].late;
    }
  }
  return merged;
}

uint64_t SlotPool::sink_waits() const {
  uint64_t waits = 0;
  for (const auto& slot : slots_) waits += slot->sink_waits();
  return waits;
}

size_t SlotPool::max_pending_alerts_seen() const {
  size_t most = 0;
  for (const auto& slot : slots_) most = std::max(most, slot->max_pending_alerts_seen());
  return most;
}

size_t SlotPool::key_count() const {
  size_t keys = 0;
  for (const auto& slot : slots_) {
    for (const auto& runner : slot->runners()) keys += runner->key_count();
  }
  return keys;
}

}  // namespace engine
