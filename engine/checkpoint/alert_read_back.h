#pragma once

#include <chrono>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cep/base/result.h"
#include "engine/kafka/consumer.h"
#include "state/checkpoint_manifest.h"

namespace engine {

// Exactly-once alerts without broker transactions (README "Guarantees"): after
// a restore, the state raises again every alert raised since the checkpoint,
// and a previous run may already have written some of them before it died.
// Alert ids are deterministic, so the service reads the alert topics back from
// the checkpoint's sink positions to their end and skips each id it finds
// there, once.
//
// Threading: Read at start; TakeIfWritten from sink threads and
// OldestPending from the source thread, concurrently (one mutex, taken only
// while ids are left).
class AlertReadBack {
 public:
  // Reads `topics` (each partition from its position in `from`, the beginning
  // when absent) up to the ends they have now, waiting at most `timeout`. A topic
  // that does not exist has nothing to read.
  static cep::Result<std::unique_ptr<AlertReadBack>> Read(
      const kafka::ConsumerOptions& consumer, const std::vector<std::string>& topics,
      const std::vector<state::SinkPosition>& from, std::chrono::milliseconds timeout);
  // For a service that restored nothing.
  AlertReadBack() = default;

  // Forgets the alerts of rulesets (by name and version) not in `running`: their
  // ids are never raised again (a changed ruleset has a new version).
  void KeepOnly(const std::vector<std::pair<std::string, uint32_t>>& running);
  // Adds what `other` read (scale-out: a restore of newly assigned partitions
  // while the sinks run); any thread.
  void Absorb(AlertReadBack&& other);
  // True when `alert_id` was already written (then it is forgotten): skip it.
  bool TakeIfWritten(std::string_view alert_id);
  // Forgets `ruleset`'s alerts stamped before `bound`: the restored run has
  // raised everything up to it, so those it did not raise again never will be
  // (a rule that changed, an alert that depended on arrival timing). Without
  // this they would hold every later checkpoint's read-back position.
  void ForgetStampedBefore(const std::string& ruleset, int64_t bound_ms);
  // Where a checkpoint must read back from in this partition: the oldest alert
  // read back and not raised again yet, so a second crash still finds it.
  std::optional<int64_t> OldestPending(const std::string& topic, int32_t partition) const;

  uint64_t read() const { return read_.load(); }
  uint64_t skipped() const;
  size_t pending() const;

 private:
  struct Written {
    std::string topic;
    int32_t partition;
    int64_t offset;
    std::string ruleset;
    uint32_t version;
    int64_t ts_ms;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Written> written_;  // by alert id; guarded by mutex_
  std::atomic<bool> any_{false};                      // written_ is not empty
  std::atomic<uint64_t> read_{0};
  uint64_t skipped_ = 0;  // guarded by mutex_
};

// The header every alert record carries its id in: consumers can de-duplicate
// or trace an alert without decoding it.
inline constexpr std::string_view kAlertIdHeader = "cep-alert-id";

}  // namespace engine
