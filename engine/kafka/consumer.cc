#include "engine/kafka/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "engine/kafka/rdkafka_util.h"

namespace engine::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
  std::sort(out.begin(), out.end());
  return out;
}

internal::PartitionListPtr ToList(const std::vector<PartitionOffset>& offsets) {
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const PartitionOffset& p : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), p.tp.topic.c_str(), p.tp.partition)->offset =
        p.offset;
  }
  return list;
}

std::string Describe(const TopicPartition& tp) {
  return tp.topic + " [" + std::to_string(tp.partition) + "]";
}

}  // namespace

struct Consumer::Impl {
  ~Impl() {
    ReleaseBatch();
    if (rk != nullptr) rd_kafka_destroy(rk);
  }

  void ReleaseBatch() {
    for (rd_kafka_message_t* message : batch) rd_kafka_message_destroy(message);
    batch.clear();
    records.clear();
    headers.clear();
  }

  bool AllAtEnd() const {
    return !at_end.empty() &&
           std::all_of(at_end.begin(), at_end.end(), [](const auto& entry) { return entry.second; });
  }

  // Served inside rd_kafka_consumer_poll / rd_kafka_consumer_close, on the owner's thread.
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    RebalanceEvent event;
    event.partitions = ToVector(partitions);
    rd_kafka_error_t* error = nullptr;
    rd_kafka_resp_err_t assign_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      event.kind = RebalanceEvent::Kind::kAssigned;
      if (self->start_offsets) {
        for (const PartitionOffset& start : self->start_offsets(event.partitions)) {
          rd_kafka_topic_partition_t* elem = rd_kafka_topic_partition_list_find(
              partitions, start.tp.topic.c_str(), start.tp.partition);
          if (elem != nullptr) elem->offset = start.offset;  // the constants are librdkafka's
        }
      }
      if (cooperative) {
        error = rd_kafka_incremental_assign(rk, partitions);
      } else {
        assign_err = rd_kafka_assign(rk, partitions);
        self->at_end.clear();
      }
      for (const TopicPartition& tp : event.partitions) self->at_end[tp] = false;
    } else {
      if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        spdlog::error("kafka consumer {}: rebalance failed: {}", rd_kafka_name(rk),
                      rd_kafka_err2str(err));
      } else if (rd_kafka_assignment_lost(rk) != 0) {
        spdlog::warn("kafka consumer {}: assignment lost (session timed out?)", rd_kafka_name(rk));
      }
      event.kind = RebalanceEvent::Kind::kRevoked;
      if (cooperative) {
        error = rd_kafka_incremental_unassign(rk, partitions);
        for (const TopicPartition& tp : event.partitions) self->at_end.erase(tp);
      } else {
        assign_err = rd_kafka_assign(rk, nullptr);
        self->at_end.clear();
      }
    }
    if (error != nullptr) {
      spdlog::error("kafka consumer {}: applying a rebalance: {}", rd_kafka_name(rk),
                    rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
    if (assign_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::error("kafka consumer {}: applying a rebalance: {}", rd_kafka_name(rk),
                    rd_kafka_err2str(assign_err));
    }
    spdlog::debug("kafka consumer {}: {} {} partition(s)", rd_kafka_name(rk),
                  event.kind == RebalanceEvent::Kind::kAssigned ? "assigned" : "revoked",
                  event.partitions.size());
    if (self->on_rebalance) self->on_rebalance(event);
  }

  // Logs a non-fatal error: the first of each kind at warn, the rest at debug.
  void CountTransient(const rd_kafka_message_t& message) {
    ++transient_errors;
    const std::string what = message.rkt != nullptr
                                 ? Describe({rd_kafka_topic_name(message.rkt), message.partition})
                                 : std::string("consumer");
    const auto level =
        warned.insert(message.err).second ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "kafka consumer {}: {}: {}", rd_kafka_name(rk), what,
                rd_kafka_message_errstr(&message));
  }

  rd_kafka_t* rk = nullptr;
  bool subscribed = false;
  bool closed = false;
  std::function<void(const RebalanceEvent&)> on_rebalance;
  std::function<std::vector<PartitionOffset>(const std::vector<TopicPartition>&)> start_offsets;
  // The last Poll's messages, owned until the next Poll: Records point into them.
  std::vector<rd_kafka_message_t*> batch;
  std::vector<Record> records;
  std::vector<Header> headers;  // of every record in `records`, in order
  std::map<TopicPartition, bool> at_end;  // the assignment; true once Poll reached its end
  uint64_t transient_errors = 0;
  std::set<int> warned;  // error codes already logged at warn
};

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Consumer::~Consumer() { Close(); }

cep::Result<std::unique_ptr<Consumer>> Consumer::Create(const ConsumerOptions& options) {
  if (options.bootstrap.empty()) return cep::InvalidArgument("kafka consumer: no bootstrap servers");
  if (!options.topics.empty() && options.group_id.empty()) {
    return cep::InvalidArgument("kafka consumer: subscribing to topics needs a group id");
  }
  auto impl = std::make_unique<Impl>();
  impl->on_rebalance = options.on_rebalance;
  impl->start_offsets = options.start_offsets;
  internal::ConfPtr conf = internal::NewConf();
  rd_kafka_conf_t* c = conf.get();
  RETURN_IF_ERROR(internal::Set(c, "bootstrap.servers", options.bootstrap));
  RETURN_IF_ERROR(internal::Set(
      c, "group.id", options.group_id.empty() ? options.client_id + "-assign" : options.group_id));
  RETURN_IF_ERROR(internal::Set(c, "client.id", options.client_id));
  RETURN_IF_ERROR(
      internal::Set(c, "auto.offset.reset", options.from_beginning ? "earliest" : "latest"));
  RETURN_IF_ERROR(
      internal::Set(c, "enable.auto.commit", options.enable_auto_commit ? "true" : "false"));
  RETURN_IF_ERROR(internal::Set(c, "enable.partition.eof", "true"));
  // Subscribing creates missing topics, as producing does (brokers that allow it).
  RETURN_IF_ERROR(internal::Set(c, "allow.auto.create.topics", "true"));
  RETURN_IF_ERROR(internal::SetAll(c, options.settings));
  rd_kafka_conf_set_opaque(c, impl.get());
  rd_kafka_conf_set_rebalance_cb(c, &Impl::OnRebalance);
  char error[512] = {};
  impl->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, error, sizeof error);
  if (impl->rk == nullptr) return cep::InvalidArgument(std::string("kafka consumer: ") + error);
  conf.release();  // rd_kafka_new took it
  // Everything (records, rebalances, errors) arrives on the consumer queue.
  rd_kafka_poll_set_consumer(impl->rk);
  if (!options.topics.empty()) {
    internal::PartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size())));
    for (const std::string& topic : options.topics) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(impl->rk, list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return internal::ErrorStatus(err, "kafka consumer: subscribing");
    }
    impl->subscribed = true;
  }
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

cep::Status Consumer::Assign(const std::vector<PartitionOffset>& partitions) {
  if (impl_->closed) return cep::FailedPrecondition("kafka consumer: closed");
  if (impl_->subscribed) {
    return cep::FailedPrecondition(
        "kafka consumer: Assign on a consumer that subscribed to topics through its group");
  }
  internal::PartitionListPtr list = ToList(partitions);
  const rd_kafka_resp_err_t err =
      rd_kafka_assign(impl_->rk, partitions.empty() ? nullptr : list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return internal::ErrorStatus(err, "kafka consumer: assign");
  impl_->at_end.clear();
  for (const PartitionOffset& p : partitions) impl_->at_end[p.tp] = false;
  return cep::Status::Ok();
}

cep::Result<std::span<const Record>> Consumer::Poll(size_t max, milliseconds timeout) {
  Impl& s = *impl_;
  if (s.closed) return cep::FailedPrecondition("kafka consumer: Poll after Close");
  s.ReleaseBatch();
  std::vector<std::pair<size_t, size_t>> header_ranges;  // begin, count in s.headers
  const auto deadline = Clock::now() + timeout;
  while (s.records.size() < max) {
    // Wait only for the first record; then take what is already there.
    const bool waiting = s.records.empty();
    const auto now = Clock::now();
    const int wait_ms =
        waiting && now < deadline
            ? internal::TimeoutMs(std::chrono::ceil<milliseconds>(deadline - now))
            : 0;
    rd_kafka_message_t* message = rd_kafka_consumer_poll(s.rk, wait_ms);
    if (message == nullptr) {
      if (!waiting || wait_ms == 0) break;
      continue;  // woken early (a rebalance was served): wait on
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const rd_kafka_resp_err_t err = message->err;
      if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        auto it = s.at_end.find({rd_kafka_topic_name(message->rkt), message->partition});
        if (it != s.at_end.end()) it->second = true;
        rd_kafka_message_destroy(message);
        if (waiting && s.AllAtEnd()) break;
        continue;
      }
      char fatal[512] = {};
      if (err == RD_KAFKA_RESP_ERR__FATAL ||
          rd_kafka_fatal_error(s.rk, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cep::Status status = internal::ErrorStatus(
            err, std::string("kafka consumer: fatal error: ") + rd_kafka_message_errstr(message));
        rd_kafka_message_destroy(message);
        return status;
      }
      s.CountTransient(*message);
      rd_kafka_message_destroy(message);
      continue;
    }
    s.batch.push_back(message);
    Record& record = s.records.emplace_back();
    record.topic = rd_kafka_topic_name(message->rkt);
    record.partition = message->partition;
    record.offset = message->offset;
    if (message->key != nullptr) record.key = {static_cast<const char*>(message->key), message->key_len};
    if (message->payload != nullptr) {
      record.value = {static_cast<const char*>(message->payload), message->len};
    }
    rd_kafka_timestamp_type_t timestamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const int64_t timestamp = rd_kafka_message_timestamp(message, &timestamp_type);
    record.timestamp_ms = timestamp_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : timestamp;
    const size_t first_header = s.headers.size();
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        s.headers.push_back({name, value != nullptr
                                       ? std::string_view(static_cast<const char*>(value), size)
                                       : std::string_view()});
      }
    }
    header_ranges.emplace_back(first_header, s.headers.size() - first_header);
    auto it = s.at_end.find({std::string(record.topic), record.partition});
    if (it != s.at_end.end()) it->second = false;
  }
  // s.headers no longer grows: point each record at its headers.
  for (size_t i = 0; i < s.records.size(); ++i) {
    s.records[i].headers = std::span<const Header>(s.headers).subspan(header_ranges[i].first,
                                                                       header_ranges[i].second);
  }
  return std::span<const Record>(s.records);
}

cep::Status Consumer::Commit(const std::vector<PartitionOffset>& offsets) {
  if (impl_->closed) return cep::FailedPrecondition("kafka consumer: Commit after Close");
  if (offsets.empty()) return cep::Status::Ok();
  internal::PartitionListPtr list = ToList(offsets);
  const rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk, list.get(), /*async=*/0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return internal::ErrorStatus(err, "kafka consumer: commit");
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return internal::ErrorStatus(
          p.err, "kafka consumer: committing " + Describe({p.topic, p.partition}));
    }
  }
  return cep::Status::Ok();
}

cep::Result<std::vector<int32_t>> Consumer::Partitions(const std::string& topic,
                                                      milliseconds timeout) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(impl_->rk, topic.c_str(), nullptr);
  if (handle == nullptr) {
    return cep::Unexpected(cep::InvalidArgument("topic handle for " + topic + ": " +
                                                rd_kafka_err2str(rd_kafka_last_error())));
  }
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(impl_->rk, 0, handle, &metadata, internal::TimeoutMs(timeout));
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return cep::Unexpected(internal::ErrorStatus(err, "metadata of " + topic));
  }
  std::vector<int32_t> partitions;
  cep::Status status;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& entry = metadata->topics[t];
    if (topic != entry.topic) continue;
    if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = internal::ErrorStatus(entry.err, "metadata of " + topic);
      break;
    }
    for (int p = 0; p < entry.partition_cnt; ++p) partitions.push_back(entry.partitions[p].id);
  }
  rd_kafka_metadata_destroy(metadata);
  if (!status.ok()) return cep::Unexpected(status);
  if (partitions.empty()) return cep::Unexpected(cep::NotFound("topic " + topic + " does not exist"));
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

cep::Result<int64_t> Consumer::EndOffset(const TopicPartition& tp, milliseconds timeout) {
  int64_t low = 0;
  int64_t high = 0;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      impl_->rk, tp.topic.c_str(), tp.partition, &low, &high, internal::TimeoutMs(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return cep::Unexpected(internal::ErrorStatus(err, "end offset of " + Describe(tp)));
  }
  return high;
}

int64_t Consumer::CachedEndOffset(const TopicPartition& tp) const {
  int64_t low = -1;
  int64_t high = -1;
  if (rd_kafka_get_watermark_offsets(impl_->rk, tp.topic.c_str(), tp.partition, &low, &high) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return -1;
  }
  return high;
}

cep::Result<std::vector<PartitionOffset>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions, milliseconds timeout) {
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  const rd_kafka_resp_err_t err =
      rd_kafka_committed(impl_->rk, list.get(), internal::TimeoutMs(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return cep::Unexpected(internal::ErrorStatus(err, "committed offsets"));
  }
  std::vector<PartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    out.push_back({{p.topic, p.partition}, p.offset});
  }
  return out;
}

std::vector<TopicPartition> Consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (impl_->closed || rd_kafka_assignment(impl_->rk, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {};
  }
  internal::PartitionListPtr list(raw);
  return ToVector(list.get());
}

bool Consumer::AtEndOfAllAssigned() const { return impl_->AllAtEnd(); }

uint64_t Consumer::transient_errors() const { return impl_->transient_errors; }

void Consumer::Close() {
  if (impl_->closed) return;
  impl_->ReleaseBatch();
  const rd_kafka_resp_err_t err = rd_kafka_consumer_close(impl_->rk);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("kafka consumer {}: close: {}", rd_kafka_name(impl_->rk), rd_kafka_err2str(err));
  }
  impl_->closed = true;
  impl_->at_end.clear();
}

}  // namespace engine::kafka
