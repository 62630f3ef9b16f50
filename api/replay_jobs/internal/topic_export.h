#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "cep/base/result.h"

namespace api::replay_jobs::internal {

struct TopicExportOptions {
  std::string bootstrap;
  std::string topic;
  std::string format;  // of the records: "json" (written as JSONL) or "protobuf" (length-delimited)
  int64_t from_ms = 0;  // record timestamps in [from_ms, to_ms)
  int64_t to_ms = 0;
  std::filesystem::path out;        // the replay input to write
  std::filesystem::path spool_dir;  // per-partition scratch files, removed afterwards
};

// Reads every partition of a topic from its beginning up to its end as of the
// start (records produced later are not waited for), keeps the records whose
// Kafka timestamp lies in [from_ms, to_ms), and writes them to `out` in a replay
// input format, merged across partitions by timestamp (ties: partition, then
// offset) so the file, and so the replay, is the same on every run.
// Returns the number of records written. kNotFound for a missing topic,
// kUnavailable when the broker stops answering, kCancelled when `cancel` turns
// true. Runs on the caller's thread (a replay job's worker).
cep::Result<uint64_t> ExportTopic(const TopicExportOptions& options, const std::atomic<bool>& cancel);

}  // namespace api::replay_jobs::internal
