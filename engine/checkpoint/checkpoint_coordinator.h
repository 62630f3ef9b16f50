#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/checkpoint/checkpoint_figures.h"
#include "engine/runtime/snapshot_sink.h"
#include "state/checkpoint_manifest.h"
#include "state/checkpoint_storage.h"

namespace engine {

// Runs checkpoints (ARCHITECTURE.md "Fault tolerance"): the source starts one
// with the manifest's source side filled in (offsets, event counters, alert
// topic ends) right where it injects the barriers; slots hand in their state
// streams as they write them and say when they are done; each ruleset's sink
// says when every alert raised before the barrier is acknowledged by Kafka.
// Then, and only then, the manifest is written: a checkpoint that exists
// covers every alert before it, so a restore never loses one. A writer
// thread moves the state bytes to the CheckpointStorage as they come, so
// slots never wait on disk. One checkpoint at a time; one that fails (a write
// error) or does not complete within `timeout` is given up with a log line,
// and the next one starts afresh.
//
// Threading: Begin, in_flight and TakeCommitted from the source thread;
// OnSnapshotBytes and OnSlotSnapshotted from slot threads; OnSinkFlushed from
// sink threads; figures from any thread.
class CheckpointCoordinator final : public SnapshotSink {
 public:
  // `on_committed`, if set, runs on the writer thread after each manifest is
  // written (Kafka transactions commit there: after the checkpoint they belong to).
  CheckpointCoordinator(state::CheckpointStorage& storage, uint64_t next_id,
                        std::chrono::milliseconds timeout = std::chrono::minutes(5),
                        std::function<void(const state::Manifest&)> on_committed = {});
  ~CheckpointCoordinator() override;
  CheckpointCoordinator(const CheckpointCoordinator&) = delete;
  CheckpointCoordinator& operator=(const CheckpointCoordinator&) = delete;

  bool in_flight() const;
  // The id the next Begin will use.
  uint64_t next_id() const;
  // Starts checkpoint `manifest.id` (must be next_id()), which completes after
  // `slots` OnSlotSnapshotted and `sinks` OnSinkFlushed calls for it.
  void Begin(state::Manifest manifest, size_t slots, size_t sinks);
  // The manifest of the newest checkpoint committed since the last call.
  std::optional<state::Manifest> TakeCommitted();
  // Waits until no checkpoint is in flight; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

  void OnSnapshotBytes(uint64_t id, const std::string& stream, std::string bytes) override;
  void OnSlotSnapshotted(uint64_t id, std::chrono::microseconds longest_pause,
                         const std::vector<RuleStateFigures>& rules) override;
  void OnSinkFlushed(uint64_t id);

  CheckpointFigures figures() const;

 private:
  struct Chunk {
    uint64_t id;
    std::string stream;
    std::string bytes;
  };
  void Run();
  void Fail(const std::string& why);  // with mutex_ held

  state::CheckpointStorage& storage_;
  const std::chrono::milliseconds timeout_;
  const std::function<void(const state::Manifest&)> on_committed_;
  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable idle_;
  // Guarded by mutex_:
  uint64_t next_id_;
  uint64_t current_ = 0;  // in flight, 0 when none
  state::Manifest manifest_;
  size_t slots_left_ = 0;
  size_t sinks_left_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::microseconds longest_pause_{0};
  uint64_t bytes_ = 0;  // state bytes written for the one in flight
  std::vector<RuleStateFigures> rules_;  // of the one in flight, merged over slots
  std::deque<Chunk> chunks_;
  std::unique_ptr<state::CheckpointStorage::Writer> writer_;
  std::optional<state::Manifest> committed_;
  CheckpointFigures figures_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace engine
