#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/kafka/consumer.h"

namespace engine::kafka::testing {

// A Record copied out of the Consumer's batch.
struct OwnedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  int64_t timestamp_ms = -1;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Polls until `want` records have arrived and, with `until_end`, every assigned
// partition is at its end, or `limit` passes. Returns what arrived; fails the
// test on a Poll error.
std::vector<OwnedRecord> ConsumeAtLeast(Consumer& consumer, size_t want, bool until_end = false,
                                        std::chrono::milliseconds limit = std::chrono::seconds(30));

// Polls until the consumer has `partitions` assigned partitions or `limit` passes.
// Records polled meanwhile are dropped: for topics expected to be empty.
bool WaitForAssignment(Consumer& consumer, size_t partitions,
                       std::chrono::milliseconds limit = std::chrono::seconds(30));

// A loopback port nothing listens on right now (bound, read and released).
uint16_t FreeLoopbackPort();

}  // namespace engine::kafka::testing
