#pragma once

// Internal to engine/kafka: helpers shared by the broker, producer and consumer
// wrappers. Only engine/kafka/*.cc and its tests include this header, because it
// pulls in librdkafka's C API, which the public headers keep out.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cep/base/status.h"

namespace engine::kafka::internal {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// A configuration with librdkafka's log lines routed to spdlog (logger "kafka"
// levels mapped from syslog levels) instead of stderr.
ConfPtr NewConf();

// Sets one property; InvalidArgument names the property and librdkafka's reason.
cep::Status Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);
// Sets every property of `settings`, in order.
cep::Status SetAll(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& settings);

// A Status for a librdkafka error code: transport, timeouts and broker-side
// transient errors become retryable codes (kUnavailable, kDeadlineExceeded); a
// full queue kResourceExhausted; bad arguments kInvalidArgument; unknown topics
// or partitions kNotFound; the rest kInternal. The message is
// "<context>: <librdkafka's description> (<ERR_NAME>)".
cep::Status ErrorStatus(rd_kafka_resp_err_t err, std::string_view context);

// Converts a non-negative timeout to librdkafka's int milliseconds, saturating.
int TimeoutMs(std::chrono::milliseconds timeout);

}  // namespace engine::kafka::internal
