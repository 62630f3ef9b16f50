#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace engine {

// What one rule's state came to in a snapshot (logs, /metrics).
struct RuleStateFigures {
  std::string rule;  // "<ruleset>/<rule>"
  uint64_t keys = 0;
  uint64_t bytes = 0;
  uint64_t partial_matches = 0;
};

// Where slots hand the state they snapshot at a checkpoint barrier
// (engine/checkpoint/checkpoint_coordinator.h). Streams are named
// "<ruleset>/slot-<i>/key-<fields>" (SnapshotStreamName).
//
// Threading: called from slot threads, concurrently.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // A piece of a stream of checkpoint `id`: whole records, in stream order.
  virtual void OnSnapshotBytes(uint64_t id, const std::string& stream, std::string bytes) = 0;
  // One slot has handed over its whole snapshot of checkpoint `id`; `longest_pause`
  // is the longest time it spent snapshotting in one go instead of processing.
  virtual void OnSlotSnapshotted(uint64_t id, std::chrono::microseconds longest_pause,
                                 const std::vector<RuleStateFigures>& rules) = 0;
};

}  // namespace engine
