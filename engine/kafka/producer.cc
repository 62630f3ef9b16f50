#include "engine/kafka/producer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "engine/kafka/rdkafka_util.h"

namespace engine::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// While the queue is full, Produce serves delivery reports for at most this long
// between attempts.
constexpr milliseconds kBackpressurePoll{100};

}  // namespace

struct Producer::Impl {
  ~Impl() {
    for (auto& [name, topic] : topics) rd_kafka_topic_destroy(topic);
    if (rk != nullptr) rd_kafka_destroy(rk);
  }

  // The first permanent failure wins; later ones are only logged.
  void RecordError(cep::Status status) {
    std::lock_guard lock(mu);
    if (first_error.ok()) first_error = std::move(status);
  }

  // A cached handle per topic, so Produce neither copies the name nor looks it
  // up in librdkafka.
  rd_kafka_topic_t* Topic(std::string_view name) {
    auto it = topics.find(name);
    if (it != topics.end()) return it->second;
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, std::string(name).c_str(), nullptr);
    if (topic == nullptr) return nullptr;
    topics.emplace(std::string(name), topic);
    return topic;
  }

  // Delivery reports, served on the thread that calls Poll/Produce/Flush.
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const uint64_t failures = self->failed.fetch_add(1, std::memory_order_relaxed) + 1;
    const char* topic = message->rkt != nullptr ? rd_kafka_topic_name(message->rkt) : "?";
    cep::Status status = internal::ErrorStatus(
        message->err, std::string("delivering a record to ") + topic + " [" +
                          std::to_string(message->partition) + "]");
    if (failures == 1) spdlog::error("kafka producer: {}", status.message());
    self->RecordError(std::move(status));
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char fatal[512] = {};
      const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
      spdlog::error("kafka producer {}: fatal error: {}", rd_kafka_name(rk), fatal);
      self->RecordError(cep::FailedPrecondition(std::string("kafka producer: fatal error: ") +
                                                fatal + " (" + rd_kafka_err2name(cause) + ")"));
      return;
    }
    // Transient (a broker down, a connection refused): librdkafka retries.
    spdlog::warn("kafka producer {}: {} ({})", rd_kafka_name(rk), reason,
                 rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
  }

  rd_kafka_t* rk = nullptr;
  milliseconds close_timeout{0};
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics;
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed{0};
  mutable std::mutex mu;
  cep::Status first_error;  // guarded by mu
};

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Producer::~Producer() {
  rd_kafka_t* rk = impl_->rk;
  if (rd_kafka_flush(rk, internal::TimeoutMs(impl_->close_timeout)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const int lost = rd_kafka_outq_len(rk);
    // Give up on what is left: purged records get failed delivery reports.
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);
    spdlog::error("kafka producer {}: {} records still undelivered after flushing for {} ms at "
                  "close: lost",
                  rd_kafka_name(rk), lost, impl_->close_timeout.count());
  }
  if (failed() > 0) {
    spdlog::warn("kafka producer {}: {} records delivered, {} failed", rd_kafka_name(rk),
                 delivered(), failed());
  }
}

cep::Result<std::unique_ptr<Producer>> Producer::Create(const ProducerOptions& options) {
  if (options.bootstrap.empty()) return cep::InvalidArgument("kafka producer: no bootstrap servers");
  auto impl = std::make_unique<Impl>();
  impl->close_timeout = options.close_timeout;
  internal::ConfPtr conf = internal::NewConf();
  RETURN_IF_ERROR(internal::Set(conf.get(), "bootstrap.servers", options.bootstrap));
  RETURN_IF_ERROR(internal::Set(conf.get(), "client.id", options.client_id));
  RETURN_IF_ERROR(
      internal::Set(conf.get(), "enable.idempotence", options.idempotent ? "true" : "false"));
  if (!options.transactional_id.empty()) {
    RETURN_IF_ERROR(internal::Set(conf.get(), "transactional.id", options.transactional_id));
  }
  RETURN_IF_ERROR(internal::SetAll(conf.get(), options.settings));
  rd_kafka_conf_set_opaque(conf.get(), impl.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::OnDelivery);
  rd_kafka_conf_set_error_cb(conf.get(), &Impl::OnError);
  char error[512] = {};
  impl->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
  if (impl->rk == nullptr) return cep::InvalidArgument(std::string("kafka producer: ") + error);
  conf.release();  // rd_kafka_new took it
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

cep::Status Producer::Produce(std::string_view topic, std::string_view key,
                              std::string_view value, std::span<const Header> headers,
                              int32_t partition, milliseconds timeout) {
  rd_kafka_t* rk = impl_->rk;
  char fatal[256] = {};
  if (rd_kafka_fatal_error(rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return cep::FailedPrecondition(std::string("kafka producer: stopped by a fatal error: ") +
                                   fatal);
  }
  rd_kafka_topic_t* rkt = impl_->Topic(topic);
  if (rkt == nullptr) {
    return internal::ErrorStatus(rd_kafka_last_error(),
                                 "kafka producer: topic '" + std::string(topic) + "'");
  }
  rd_kafka_headers_t* record_headers = nullptr;
  if (!headers.empty()) {
    record_headers = rd_kafka_headers_new(headers.size());
    for (const Header& header : headers) {
      rd_kafka_header_add(record_headers, header.name.data(),
                          static_cast<ssize_t>(header.name.size()), header.value.data(),
                          static_cast<ssize_t>(header.value.size()));
    }
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_HEADERS(record_headers), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return cep::Status::Ok();  // headers now librdkafka's
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (record_headers != nullptr) rd_kafka_headers_destroy(record_headers);
      return internal::ErrorStatus(err, "kafka producer: producing to '" + std::string(topic) + "'");
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      if (record_headers != nullptr) rd_kafka_headers_destroy(record_headers);
      return {cep::StatusCode::kDeadlineExceeded,
              "kafka producer: queue still full after " + std::to_string(timeout.count()) +
                  " ms (" + std::to_string(rd_kafka_outq_len(rk)) +
                  " records in flight; broker slow or unreachable)"};
    }
    // Backpressure: serve delivery reports, which frees queue space.
    const auto remaining = std::chrono::ceil<milliseconds>(deadline - now);
    rd_kafka_poll(rk, internal::TimeoutMs(std::min(remaining, kBackpressurePoll)));
  }
}

void Producer::Poll() { rd_kafka_poll(impl_->rk, 0); }

cep::Status Producer::Flush(milliseconds timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(impl_->rk, internal::TimeoutMs(timeout));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return cep::Status::Ok();
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return {cep::StatusCode::kDeadlineExceeded,
            "kafka producer: " + std::to_string(rd_kafka_outq_len(impl_->rk)) +
                " records still in flight after flushing for " + std::to_string(timeout.count()) +
                " ms"};
  }
  return internal::ErrorStatus(err, "kafka producer: flush");
}

uint64_t Producer::delivered() const { return impl_->delivered.load(std::memory_order_relaxed); }
uint64_t Producer::failed() const { return impl_->failed.load(std::memory_order_relaxed); }
int Producer::in_flight() const { return rd_kafka_outq_len(impl_->rk); }

cep::Status Producer::first_error() const {
  std::lock_guard lock(impl_->mu);
  return impl_->first_error;
}

namespace {

// A Status for a transactional call's error (which it consumes): abortable
// errors are kFailedPrecondition, fatal ones kInternal, retriable ones
// kUnavailable.
cep::Status TransactionStatus(rd_kafka_error_t* error, std::string_view call) {
  if (error == nullptr) return cep::Status::Ok();
  std::string message = "kafka producer: " + std::string(call) + ": " + rd_kafka_error_string(error);
  cep::StatusCode code = cep::StatusCode::kInternal;
  if (rd_kafka_error_txn_requires_abort(error)) {
    code = cep::StatusCode::kFailedPrecondition;
    message += " (the transaction must be aborted)";
  } else if (rd_kafka_error_is_retriable(error)) {
    code = cep::StatusCode::kUnavailable;
  } else if (rd_kafka_error_is_fatal(error)) {
    message += " (fatal)";
  }
  rd_kafka_error_destroy(error);
  return {code, std::move(message)};
}

}  // namespace

cep::Status Producer::InitTransactions(milliseconds timeout) {
  return TransactionStatus(rd_kafka_init_transactions(impl_->rk, internal::TimeoutMs(timeout)),
                           "init_transactions");
}

cep::Status Producer::BeginTransaction() {
  return TransactionStatus(rd_kafka_begin_transaction(impl_->rk), "begin_transaction");
}

cep::Status Producer::SendOffsetsToTransaction(const std::vector<PartitionOffset>& offsets,
                                               const std::string& group_id,
                                               milliseconds timeout) {
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& p : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), p.tp.topic.c_str(), p.tp.partition)->offset =
        p.offset;
  }
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata_new(group_id.c_str());
  rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(
      impl_->rk, list.get(), group, internal::TimeoutMs(timeout));
  rd_kafka_consumer_group_metadata_destroy(group);
  return TransactionStatus(error, "send_offsets_to_transaction");
}

cep::Status Producer::CommitTransaction(milliseconds timeout) {
  return TransactionStatus(rd_kafka_commit_transaction(impl_->rk, internal::TimeoutMs(timeout)),
                           "commit_transaction");
}

cep::Status Producer::AbortTransaction(milliseconds timeout) {
  return TransactionStatus(rd_kafka_abort_transaction(impl_->rk, internal::TimeoutMs(timeout)),
                           "abort_transaction");
}

}  // namespace engine::kafka
