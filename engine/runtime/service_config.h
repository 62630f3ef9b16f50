#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "cep/base/time.h"

namespace engine {

// Where `cep serve` reads and writes Kafka. Every field has a file key under
// `kafka:` of the same name, an environment variable CEP_KAFKA_<NAME> and a
// `--set kafka.<name>=VALUE` flag (api/config/config_loader.h, api/README.md).
struct KafkaConfig {
  std::string brokers;  // "host:port,host:port"; empty: start the embedded broker in-process
  std::string input_topic = "transactions";
  std::string alerts_topic = "alerts";
  std::string shadow_topic = "alerts-shadow";      // alerts of rulesets activated as shadow
  std::string late_topic = "late";                 // events behind the watermark
  std::string dead_letter_topic = "dead-letters";  // raw bytes that did not decode
  std::string group_id = "cep";
  std::string input_format = "protobuf";  // protobuf | json
  std::string alert_format = "protobuf";  // protobuf | json
  int embedded_partitions = 4;            // partitions of each topic of the embedded broker
  // How alerts stay exactly-once across crashes (README "Guarantees"):
  // read_back: after a restore, read the alert topics back from the checkpoint
  // and do not write an alert again (any broker, plain consumers);
  // transactions: alerts and input offsets committed in one Kafka transaction per
  // checkpoint (real brokers; consumers read with isolation.level=read_committed).
  std::string exactly_once = "read_back";
  // Raw librdkafka properties passed through as they are ("fetch.min.bytes" -> "1").
  // bootstrap.servers and group.id are not allowed here: they come from the fields above.
  std::map<std::string, std::string> consumer_settings;
  std::map<std::string, std::string> producer_settings;

  friend bool operator==(const KafkaConfig&, const KafkaConfig&) = default;
};

// The configuration of the service (`cep serve`, `cep demo`): a plain value,
// built and validated by api::LoadServiceConfig from defaults < file <
// environment < flags, and handed to the engine at start. The engine never
// reads files, the environment or flags itself. Once loaded it is valid: the
// engine may rely on the invariants noted below without re-checking them.
//
// Threading: a value type; copy it to each thread that needs it.
struct ServiceConfig {
  KafkaConfig kafka;
  std::vector<std::string> rulesets;  // rule files loaded at start, in order
  int slots = 0;                      // worker slots, >= 0; 0 = one per core
                                      // (std::thread::hardware_concurrency)
  size_t queue_capacity = 4096;       // events per slot queue, >= 16
  // How late events may arrive behind the largest ts seen (the watermark lag), >= 0.
  cep::Duration max_out_of_orderness = cep::Duration::Zero();
  // Partitions idle for longer stop holding the watermark back, >= 0.
  cep::Duration idle_timeout = cep::Duration::Seconds(10);
  cep::Duration checkpoint_interval = cep::Duration::Seconds(10);  // wall time, >= 0; 0 = never
  std::string data_dir = "./cep-data";                             // RocksDB state and checkpoints
  // Where checkpoints go: rocksdb (under data_dir, survives restarts), memory
  // (lost with the process; for tests) or none (no checkpoints: input offsets
  // are committed to the consumer group on a clean stop only).
  std::string state_backend = "rocksdb";
  // Scaling out (deploy/README.md "Scaling out"): non-empty, the instance joins
  // the consumer group kafka.group_id with the others, publishes its checkpoints
  // to this directory on storage every instance mounts, and on a rebalance hands
  // revoked partitions' state over through it (engine::SharedCheckpoints).
  std::string shared_state_dir;
  // Names this instance's directory under shared_state_dir; empty: the host name
  // (a StatefulSet pod's name). [A-Za-z0-9._-], at most 100.
  std::string instance_id;
  std::string rest_address = "127.0.0.1:8080";  // host:port of the REST API; port 0 = any
  // REST API bearer tokens: token -> scope (read | admin). None configured:
  // `cep serve` generates an admin token into <data_dir>/api-token at start.
  std::map<std::string, std::string> rest_tokens;
  std::string rest_tls_cert;  // PEM certificate chain; with rest_tls_key: HTTPS only
  std::string rest_tls_key;   // PEM private key
  size_t rest_max_body_bytes = 1 << 20;           // larger request bodies: 413
  size_t rest_max_connections = 256;              // more at once: 503
  cep::Duration rest_timeout = cep::Duration::Seconds(30);  // reading a request, writing a response
  int rest_threads = 2;                           // the REST server's own threads
  // POST /v1/replays reads input files only under this directory.
  std::string replay_input_dir = ".";
  std::string id_field = "id";                  // event field naming events in alerts
  std::string log_level = "info";  // trace | debug | info | warn | error | critical | off

  friend bool operator==(const ServiceConfig&, const ServiceConfig&) = default;
};

}  // namespace engine
