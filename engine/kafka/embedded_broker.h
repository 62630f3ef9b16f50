#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cep/base/result.h"

namespace engine::kafka {

// A Kafka-protocol broker cluster inside this process: librdkafka's mock cluster
// (rdkafka_mock.h) listening on loopback. Any Kafka client (ours, kcat, a JVM
// client) can produce, consume, join groups and commit offsets against it. It
// keeps records in memory only, and not forever: per partition, librdkafka 2.0.2
// keeps the newest 5 MiB or 100 000 record batches, whichever is smaller. It does
// not deduplicate an idempotent producer's retries. For tests, `cep broker`,
// `cep demo`, and `cep serve` without configured brokers.
//
// Topics: created by CreateTopic, or automatically with 4 partitions when a client
// first asks for an unknown one (a producer's first record, a consumer's
// subscription). 4 is fixed by librdkafka 2.0.2's mock, which has no setting for
// it; Options::default_partitions must therefore be 4 (see Start).
//
// Ports: the mock brokers listen on ephemeral loopback ports chosen by the OS;
// the mock has no way to choose them. With Options::port != 0 the broker also
// listens on 127.0.0.1:port and forwards each connection there, byte for byte,
// to the first mock broker; bootstrap() is then "127.0.0.1:port". Clients only
// bootstrap through that port: the cluster metadata still names the mock
// brokers' own loopback ports, which clients on this machine reach directly.
//
// Groups: the mock coordinator delays the first join of a group by 3 s, and once
// a member has left, the next join waits session.timeout.ms - 1 s (44 s with
// librdkafka's default 45 s). Consumers that restart against it should set
// session.timeout.ms=6000 (it must stay above 3 s).
//
// Threading: safe to share. librdkafka runs the cluster on its own thread; a
// forwarding port adds one more (Boost.Asio). Destroying the broker closes every
// client connection; clients still open then see transport errors.
class EmbeddedBroker {
 public:
  struct Options {
    int brokers = 1;             // broker ids 1..brokers
    int default_partitions = 4;  // of auto-created topics: librdkafka 2.0.2 supports only 4
    uint16_t port = 0;           // 0: only the mock's own ephemeral ports
  };

  // Fails with InvalidArgument for bad options, Unavailable if the cluster
  // cannot start or `port` cannot be bound (in use, privileged).
  static cep::Result<std::unique_ptr<EmbeddedBroker>> Start(const Options& options);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:PORT": a bootstrap.servers value for clients on this machine.
  const std::string& bootstrap() const;
  // Every mock broker's address, comma-separated (what the metadata advertises).
  const std::string& brokers() const;

  // Creates a topic with `partitions` partitions (replication factor
  // min(brokers, 3)). Ok for an existing topic, which keeps its partition count.
  cep::Status CreateTopic(const std::string& name, int partitions);

 private:
  struct Impl;
  explicit EmbeddedBroker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace engine::kafka
