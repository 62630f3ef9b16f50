#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "engine/kafka/types.h"

namespace engine::kafka {

struct ProducerOptions {
  std::string bootstrap{};  // bootstrap.servers, e.g. "127.0.0.1:9092"
  std::string client_id = "cep";
  bool idempotent = true;  // enable.idempotence: no duplicates or reordering from retries
  // transactional.id; non-empty makes a transactional producer: records go out
  // between BeginTransaction and CommitTransaction (InitTransactions first).
  std::string transactional_id{};
  // How long the destructor flushes before it drops what is left (logged as lost).
  std::chrono::milliseconds close_timeout = std::chrono::seconds(10);
  // Raw librdkafka properties (CONFIGURATION.md of librdkafka), applied last so
  // they win over the fields above.
  std::map<std::string, std::string> settings{};
};

// Writes records to Kafka through librdkafka's asynchronous producer. Produce()
// only queues a copy; librdkafka's threads batch and send it, retrying transient
// errors until message.timeout.ms (default 300 s). The outcome of each record (a
// delivery report) is counted when Poll(), Flush(), or a Produce() that waits for
// queue space serves reports: call Poll() regularly.
//
// Threading: one owner calls Produce/Poll/Flush (delivery reports are served on
// that thread). delivered(), failed() and first_error() may be read from any thread.
class Producer {
 public:
  // Fails with InvalidArgument for a bad setting. Does not connect: an
  // unreachable broker shows later as records that are not delivered.
  static cep::Result<std::unique_ptr<Producer>> Create(const ProducerOptions& options);
  // Flushes for at most ProducerOptions::close_timeout; logs how many records
  // were then still undelivered (lost) and how many had failed.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  static constexpr int32_t kAnyPartition = -1;  // the partitioner picks (RD_KAFKA_PARTITION_UA)

  // Queues one record; key, value and headers are copied. An empty key is sent
  // as a null key. `partition` kAnyPartition lets librdkafka's partitioner pick by
  // key (consistent_random: CRC32 of the key; keyless records spread randomly).
  // When librdkafka's queue is full (queue.buffering.max.messages/kbytes) it serves
  // delivery reports and retries until `timeout`: backpressure. Errors:
  // DeadlineExceeded when the queue stayed full for `timeout` (broker slow or
  // down; retryable), InvalidArgument for a record too large, NotFound for a
  // partition the topic does not have (once its metadata is known), and
  // FailedPrecondition after a fatal producer error (see first_error()).
  cep::Status Produce(std::string_view topic, std::string_view key, std::string_view value,
                      std::span<const Header> headers = {}, int32_t partition = kAnyPartition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Serves pending delivery reports without blocking.
  void Poll();

  // Waits until every queued record is delivered or failed, for at most
  // `timeout`: DeadlineExceeded (retryable) names how many were still in flight.
  // Ok means nothing is in flight, not that everything was delivered: check
  // failed() / first_error().
  cep::Status Flush(std::chrono::milliseconds timeout);

  // --- Transactions (ProducerOptions::transactional_id) ---
  // Registers the transactional id with the broker, fencing off any earlier
  // producer with the same id and aborting its open transaction. Once, first.
  cep::Status InitTransactions(std::chrono::milliseconds timeout);
  cep::Status BeginTransaction();
  // Adds input offsets of consumer group `group_id` to the transaction: they are
  // committed with it, atomically (Kafka's send_offsets_to_transaction).
  cep::Status SendOffsetsToTransaction(const std::vector<PartitionOffset>& offsets,
                                       const std::string& group_id,
                                       std::chrono::milliseconds timeout);
  // Flushes and commits. An error that requires an abort is kFailedPrecondition
  // (call AbortTransaction); a fatal one kInternal (the producer is done).
  cep::Status CommitTransaction(std::chrono::milliseconds timeout);
  cep::Status AbortTransaction(std::chrono::milliseconds timeout);

  // Records whose delivery report said delivered / failed so far.
  uint64_t delivered() const;
  uint64_t failed() const;
  // Records queued and not yet reported (librdkafka's rd_kafka_outq_len).
  int in_flight() const;
  // The first permanent failure: a record not delivered after all retries, or a
  // fatal producer error (for example an idempotence sequence gap). Ok if none.
  cep::Status first_error() const;

 private:
  struct Impl;
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine::kafka
