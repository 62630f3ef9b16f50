#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "engine/runtime/snapshot_sink.h"

namespace engine {

// What the service reports about its checkpoints (logs, /metrics).
struct CheckpointFigures {
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t last_id = 0;
  int64_t last_completed_ms = 0;  // wall time
  std::chrono::milliseconds last_duration{0};  // barrier to manifest written
  uint64_t last_bytes = 0;
  std::chrono::microseconds last_longest_pause{0};  // the most a slot stopped processing for it
  uint64_t last_keys = 0;             // key states in the last checkpoint, over all rules
  uint64_t last_partial_matches = 0;  // pattern partial matches in it
  std::vector<RuleStateFigures> last_rules;  // per "<ruleset>/<rule>", over all slots
};

}  // namespace engine
