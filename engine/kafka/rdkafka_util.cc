#include "engine/kafka/rdkafka_util.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <string>

namespace engine::kafka::internal {
namespace {

// librdkafka calls this from its own threads; spdlog's default logger is
// thread-safe.
void LogToSpdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  spdlog::level::level_enum spd_level = spdlog::level::debug;
  if (level <= 3) {
    spd_level = spdlog::level::err;  // LOG_EMERG..LOG_ERR
  } else if (level == 4) {
    spd_level = spdlog::level::warn;
  } else if (level <= 6) {
    spd_level = spdlog::level::info;  // LOG_NOTICE, LOG_INFO
  }
  spdlog::log(spd_level, "kafka {} {}: {}", rk != nullptr ? rd_kafka_name(rk) : "-", facility,
              message);
}

}  // namespace

ConfPtr NewConf() {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogToSpdlog);
  return conf;
}

cep::Status Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512] = {};
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
      RD_KAFKA_CONF_OK) {
    return cep::InvalidArgument("Kafka setting '" + name + "': " + error);
  }
  return cep::Status::Ok();
}

cep::Status SetAll(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& settings) {
  for (const auto& [name, value] : settings) RETURN_IF_ERROR(Set(conf, name, value));
  return cep::Status::Ok();
}

cep::Status ErrorStatus(rd_kafka_resp_err_t err, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += rd_kafka_err2str(err);
  message += " (";
  message += rd_kafka_err2name(err);
  message += ")";
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return cep::Status::Ok();
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return {cep::StatusCode::kDeadlineExceeded, std::move(message)};
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return cep::Unavailable(std::move(message));
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return cep::ResourceExhausted(std::move(message));
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_TYPE:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
      return cep::InvalidArgument(std::move(message));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return cep::NotFound(std::move(message));
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return {cep::StatusCode::kAlreadyExists, std::move(message)};
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      return cep::FailedPrecondition(std::move(message));
    case RD_KAFKA_RESP_ERR__DESTROY:
      return {cep::StatusCode::kCancelled, std::move(message)};
    default:
      return cep::Internal(std::move(message));
  }
}

int TimeoutMs(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, INT_MAX));
}

}  // namespace engine::kafka::internal
