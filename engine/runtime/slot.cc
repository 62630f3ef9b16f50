#include "engine/runtime/slot.h"

#include <algorithm>
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

Slot::Slot(const std::vector<KeyGroup>& groups, size_t queue_capacity, size_t max_pending_alerts,
           OutputSignal& signal)
    : groups_(groups),
      queue_(queue_capacity),
      signal_(signal),
      max_pending_alerts_(std::max<size_t>(1, max_pending_alerts)),
      done_watermark_(cep::EventTime::Min().millis()) {
  runners_.reserve(groups.size());
  for (const KeyGroup& group : groups) {
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

void Slot::Apply(cep::EventTime watermark) {
  if (watermark <= applied_) return;
  applied_ = watermark;
  for (size_t g = 0; g < runners_.size(); ++g) {
    runners_[g]->AdvanceWatermark(watermark, raised_);
    for (const cep::RuleAlert& alert : raised_) {
      ready_.push_back(MakeWireAlert(*groups_[g].program, alert));
    }
    raised_.clear();
  }
}

void Slot::Publish() {
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
  // Release: the collector that reads this watermark also sees the alerts.
  done_watermark_.store(applied_.millis(), std::memory_order_release);
  // Wake the collector for alerts only: watermark progress alone is picked up
  // at its next poll, so a slot that keeps up does not cost a wake-up per batch.
  if (moved) signal_.Notify();
}

void Slot::Run() {
  SlotItem item;
  cep::EventTime pending = applied_;
  // A batch is at most one queue's worth, so what one publish adds to the
  // outbox is bounded even while the router keeps the queue full.
  const size_t batch_limit = queue_.capacity();
  for (;;) {
    queue_.Pop(item);
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
        case SlotItem::Kind::kStop:
          Apply(pending);
          Publish();
          stopped_.store(true, std::memory_order_release);
          signal_.Notify();
          return;
      }
    } while (++batch < batch_limit && queue_.TryPop(item));
    Apply(pending);
    Publish();
  }
}

}  // namespace engine
