#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"

namespace state {

// Where the source stood at a checkpoint: the next offset to read.
struct SourceOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;

  friend bool operator==(const SourceOffset&, const SourceOffset&) = default;
};

// A ruleset whose state the checkpoint holds, and the arrival counter of its
// events (event seq continues from here after a restore).
struct RulesetEntry {
  std::string name;
  uint32_t version = 0;
  uint64_t next_seq = 0;

  friend bool operator==(const RulesetEntry&, const RulesetEntry&) = default;
};

// One stream of state bytes (one runner of one slot, say "fraud/slot-1/group-0"):
// the chunks it was written in, and their size and checksum.
struct StateStream {
  std::string name;
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  uint32_t crc32 = 0;  // over the stream's bytes in chunk order

  friend bool operator==(const StateStream&, const StateStream&) = default;
};

// An alert topic's end at the checkpoint: after a restore, the engine reads the
// topic back from here and does not emit again what it finds.
struct SinkPosition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;

  friend bool operator==(const SinkPosition&, const SinkPosition&) = default;
};

// What a complete checkpoint is: written last, atomically, after every state
// stream it lists.
struct Manifest {
  uint64_t id = 0;  // increasing
  int64_t created_ms = 0;  // wall time
  int64_t watermark_ms = 0;  // the engine's watermark at the barrier
  std::vector<SourceOffset> offsets;
  std::vector<RulesetEntry> rulesets;
  std::vector<StateStream> streams;
  std::vector<SinkPosition> sink;

  uint64_t state_bytes() const;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// The manifest as text (JSON with a checksum), and back. Parse rejects anything
// malformed or whose checksum does not match with kDataLoss and a message that
// says what is wrong.
std::string SerializeManifest(const Manifest& manifest);
cep::Result<Manifest> ParseManifest(std::string_view text);

}  // namespace state
