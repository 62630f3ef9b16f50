#include "engine/checkpoint/checkpoint_coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace engine {

using Clock = std::chrono::steady_clock;

CheckpointCoordinator::CheckpointCoordinator(
    state::CheckpointStorage& storage, uint64_t next_id, std::chrono::milliseconds timeout,
    std::function<void(const state::Manifest&)> on_committed)
    : storage_(storage), timeout_(timeout), on_committed_(std::move(on_committed)), next_id_(next_id) {
  thread_ = std::thread([this] { Run(); });
}

CheckpointCoordinator::~CheckpointCoordinator() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  thread_.join();
}

bool CheckpointCoordinator::in_flight() const {
  std::lock_guard lock(mutex_);
  return current_ != 0;
}

uint64_t CheckpointCoordinator::next_id() const {
  std::lock_guard lock(mutex_);
  return next_id_;
}

void CheckpointCoordinator::Begin(state::Manifest manifest, size_t slots, size_t sinks) {
  std::lock_guard lock(mutex_);
  CHECK(current_ == 0, "one checkpoint at a time");
  CHECK(manifest.id == next_id_, "checkpoint ids are handed out in order");
  current_ = manifest.id;
  ++next_id_;
  manifest_ = std::move(manifest);
  slots_left_ = slots;
  sinks_left_ = sinks;
  started_ = Clock::now();
  longest_pause_ = std::chrono::microseconds(0);
  bytes_ = 0;
  rules_.clear();
}

std::optional<state::Manifest> CheckpointCoordinator::TakeCommitted() {
  std::lock_guard lock(mutex_);
  return std::exchange(committed_, std::nullopt);
}

bool CheckpointCoordinator::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return current_ == 0; });
}

void CheckpointCoordinator::OnSnapshotBytes(uint64_t id, const std::string& stream,
                                            std::string bytes) {
  {
    std::lock_guard lock(mutex_);
    if (id != current_) return;  // a checkpoint given up
    chunks_.push_back({id, stream, std::move(bytes)});
  }
  work_.notify_one();
}

void CheckpointCoordinator::OnSlotSnapshotted(uint64_t id, std::chrono::microseconds longest_pause,
                                              const std::vector<RuleStateFigures>& rules) {
  {
    std::lock_guard lock(mutex_);
    if (id != current_ || slots_left_ == 0) return;
    --slots_left_;
    longest_pause_ = std::max(longest_pause_, longest_pause);
    for (const RuleStateFigures& rule : rules) {
      auto same = std::find_if(rules_.begin(), rules_.end(),
                               [&](const RuleStateFigures& r) { return r.rule == rule.rule; });
      if (same == rules_.end()) {
        rules_.push_back(rule);
      } else {
        same->keys += rule.keys;
        same->bytes += rule.bytes;
        same->partial_matches += rule.partial_matches;
      }
    }
  }
  work_.notify_one();
}

void CheckpointCoordinator::OnSinkFlushed(uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    if (id != current_ || sinks_left_ == 0) return;
    --sinks_left_;
  }
  work_.notify_one();
}

CheckpointFigures CheckpointCoordinator::figures() const {
  std::lock_guard lock(mutex_);
  return figures_;
}

void CheckpointCoordinator::Fail(const std::string& why) {
  spdlog::error("checkpoint {} failed: {}; the next one starts afresh", current_, why);
  ++figures_.failed;
  current_ = 0;
  writer_.reset();
  chunks_.clear();
  idle_.notify_all();
}

void CheckpointCoordinator::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait_for(lock, std::chrono::seconds(1), [&] {
      return stop_ || !chunks_.empty() || (current_ != 0 && slots_left_ == 0 && sinks_left_ == 0);
    });
    if (stop_) break;
    if (current_ != 0 && Clock::now() - started_ > timeout_) {
      Fail("not complete after " + std::to_string(timeout_.count()) + " ms (a slot or sink is stuck)");
      continue;
    }
    if (current_ != 0 && writer_ == nullptr) {
      const uint64_t id = current_;
      lock.unlock();
      auto writer = storage_.Begin(id);
      lock.lock();
      if (current_ != id) continue;
      if (!writer) {
        Fail(writer.error().message());
        continue;
      }
      writer_ = std::move(*writer);
    }
    // The writer is only ever used and reset on this thread, so it may be used
    // with the mutex released.
    while (!chunks_.empty()) {
      Chunk chunk = std::move(chunks_.front());
      chunks_.pop_front();
      if (chunk.id != current_ || writer_ == nullptr) continue;
      state::CheckpointStorage::Writer* writer = writer_.get();
      lock.unlock();
      const cep::Status status = writer->Append(chunk.stream, chunk.bytes);
      lock.lock();
      bytes_ += chunk.bytes.size();
      if (!status.ok()) {
        Fail("writing " + chunk.stream + ": " + status.message());
        break;
      }
    }
    if (current_ == 0 || slots_left_ != 0 || sinks_left_ != 0 || !chunks_.empty()) continue;
    state::Manifest manifest = manifest_;
    std::unique_ptr<state::CheckpointStorage::Writer> writer = std::move(writer_);
    const auto started = started_;
    lock.unlock();
    const cep::Status status = writer->Commit(manifest);
    writer.reset();
    lock.lock();
    if (!status.ok()) {
      Fail(status.message());
      continue;
    }
    const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    ++figures_.completed;
    figures_.last_id = manifest.id;
    figures_.last_completed_ms = manifest.created_ms;
    figures_.last_duration = duration;
    figures_.last_longest_pause = longest_pause_;
    figures_.last_bytes = bytes_;
    figures_.last_keys = 0;
    figures_.last_partial_matches = 0;
    for (const RuleStateFigures& rule : rules_) {
      figures_.last_keys += rule.keys;
      figures_.last_partial_matches += rule.partial_matches;
      spdlog::debug("checkpoint {}: {}: {} keys, {} partial matches, {} bytes", manifest.id,
                    rule.rule, rule.keys, rule.partial_matches, rule.bytes);
    }
    figures_.last_rules = rules_;
    spdlog::info(
        "checkpoint {} complete: {} keys, {} partial matches, {} bytes of state in {} ms, "
        "longest slot pause {} us",
        manifest.id, figures_.last_keys, figures_.last_partial_matches, bytes_, duration.count(),
        longest_pause_.count());
    if (on_committed_) {
      lock.unlock();
      on_committed_(manifest);
      lock.lock();
    }
    committed_ = std::move(manifest);
    current_ = 0;
    idle_.notify_all();
  }
  if (current_ != 0) {
    spdlog::info("checkpoint {} given up: stopping", current_);
    current_ = 0;
    writer_.reset();
    idle_.notify_all();
  }
}

}  // namespace engine
