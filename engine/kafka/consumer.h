#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cep/base/result.h"
#include "engine/kafka/types.h"

namespace engine::kafka {

struct RebalanceEvent {
  enum class Kind { kAssigned, kRevoked };
  Kind kind = Kind::kAssigned;
  std::vector<TopicPartition> partitions{};  // sorted
};

struct ConsumerOptions {
  std::string bootstrap{};  // bootstrap.servers
  // group.id. Required with `topics`. Without topics (Assign only) an empty id
  // becomes "<client_id>-assign": librdkafka wants one anyway, and Commit stores
  // offsets under it.
  std::string group_id{};
  std::string client_id = "cep";
  // Subscribed through the group: Kafka assigns the partitions and Poll reports
  // each change to on_rebalance. Empty: use Assign.
  std::vector<std::string> topics{};
  // Where a partition without a committed offset starts: the oldest record kept
  // (auto.offset.reset=earliest), else only new records (latest).
  bool from_beginning = true;
  // enable.auto.commit. Off by default: the engine commits the offsets of its
  // checkpoints itself (Commit).
  bool enable_auto_commit = false;
  // Called from Poll's (or Close's) thread after each assignment change, once the
  // change has been applied.
  std::function<void(const RebalanceEvent&)> on_rebalance{};
  // Called from Poll's thread with the partitions about to be assigned, before
  // the assignment is applied (and before on_rebalance): where to start each
  // one (kOffsetStored, or a partition left out: the group's committed offset).
  // Scale-out restores the partitions' state here and starts them at its offsets.
  std::function<std::vector<PartitionOffset>(const std::vector<TopicPartition>&)> start_offsets{};
  // Raw librdkafka properties, applied last.
  std::map<std::string, std::string> settings{};
};

// Reads records from Kafka through librdkafka's high-level consumer, either as a
// member of a consumer group (ConsumerOptions::topics) or from an explicit
// assignment (Assign). Records come in batches that stay valid until the next
// Poll, without copying their bytes.
//
// Threading: one owner. Rebalance callbacks run on the owner's thread, inside
// Poll and Close.
class Consumer {
 public:
  // Fails with InvalidArgument for bad options or settings, or with the
  // subscription's error. Does not wait for the group to assign partitions: that
  // happens during the first Polls.
  static cep::Result<std::unique_ptr<Consumer>> Create(const ConsumerOptions& options);
  // Close()s if not closed yet.
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Reads exactly these partitions from these offsets (kOffsetBeginning,
  // kOffsetEnd and kOffsetStored are accepted), replacing any previous
  // assignment; for tests and for recovery from checkpointed offsets.
  // FailedPrecondition for a consumer that subscribed to topics.
  cep::Status Assign(const std::vector<PartitionOffset>& partitions);

  // Up to `max` records, waiting at most `timeout` for the first; fewer (possibly
  // none) on timeout, or as soon as every assigned partition is at its end.
  // The records are views valid until the next Poll or Close. `max` 0 returns at
  // once, serving nothing. Non-fatal errors
  // (a partition's end, transient broker errors, a subscribed topic that does not
  // exist yet) are counted in transient_errors() and logged, not returned.
  // Returns librdkafka's fatal errors, and FailedPrecondition after Close.
  cep::Result<std::span<const Record>> Poll(size_t max, std::chrono::milliseconds timeout);

  // Commits these offsets (next to read) for the group, synchronously.
  // Retryable codes for broker trouble; FailedPrecondition after a rebalance
  // took the partitions away (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID).
  cep::Status Commit(const std::vector<PartitionOffset>& offsets);

  // The partition ids of `topic` from the cluster's metadata, sorted, waiting
  // up to `timeout`. kNotFound when the topic does not exist.
  cep::Result<std::vector<int32_t>> Partitions(const std::string& topic,
                                               std::chrono::milliseconds timeout);
  // A partition's end (the offset its next record will get), asked from the
  // broker, waiting up to `timeout`.
  cep::Result<int64_t> EndOffset(const TopicPartition& tp, std::chrono::milliseconds timeout);
  // A partition's end as the last fetch response told it (no round trip; for
  // consumer lag in metrics), -1 when not known yet.
  int64_t CachedEndOffset(const TopicPartition& tp) const;

  // The group's committed offsets of these partitions (next to read), asked
  // from the broker; kOffsetStored-style negatives (-1001) where none is stored.
  cep::Result<std::vector<PartitionOffset>> Committed(const std::vector<TopicPartition>& partitions,
                                                      std::chrono::milliseconds timeout);

  // The current assignment, sorted.
  std::vector<TopicPartition> assignment() const;

  // True when partitions are assigned and Poll has reached the end of every one
  // of them (enable.partition.eof) with no record after it. Records produced
  // later make it false again once Poll sees them. For tests and
  // replay-from-topic.
  bool AtEndOfAllAssigned() const;

  // Non-fatal errors seen by Poll so far (each kind is logged once at warn, the
  // rest at debug). Partition ends are not counted.
  uint64_t transient_errors() const;

  // Leaves the group cleanly (revoking the assignment through on_rebalance) and
  // stops fetching. Idempotent.
  void Close();

 private:
  struct Impl;
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine::kafka
