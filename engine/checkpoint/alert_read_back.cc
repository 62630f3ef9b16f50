#include "engine/checkpoint/alert_read_back.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "api/proto/alert.pb.h"
#include "api/proto/alert_json.h"

namespace engine {
namespace {

// An alert record's alert (protobuf or JSON, as the sink wrote it).
std::optional<cep::v1::Alert> AlertOf(const kafka::Record& record) {
  if (!record.value.empty() && record.value.front() == '{') {
    auto alert = wire::AlertFromJson(record.value);
    if (alert) return std::move(*alert);
    return std::nullopt;
  }
  cep::v1::Alert alert;
  if (alert.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    return alert;
  }
  return std::nullopt;
}

}  // namespace

cep::Result<std::unique_ptr<AlertReadBack>> AlertReadBack::Read(
    const kafka::ConsumerOptions& options, const std::vector<std::string>& topics,
    const std::vector<state::SinkPosition>& from, std::chrono::milliseconds timeout) {
  auto out = std::make_unique<AlertReadBack>();
  ASSIGN_OR_RETURN(auto consumer, kafka::Consumer::Create(options));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  std::vector<kafka::PartitionOffset> assignment;
  std::map<kafka::TopicPartition, int64_t> ends;  // partitions with something to read
  for (const std::string& topic : topics) {
    auto partitions = consumer->Partitions(topic, std::max(left(), std::chrono::milliseconds(1)));
    if (!partitions) {
      if (partitions.error().code() == cep::StatusCode::kNotFound) continue;
      return cep::Unexpected(partitions.error());
    }
    for (int32_t partition : *partitions) {
      kafka::TopicPartition tp{topic, partition};
      ASSIGN_OR_RETURN(const int64_t end, consumer->EndOffset(tp, std::max(left(), std::chrono::milliseconds(1))));
      int64_t start = kafka::kOffsetBeginning;
      for (const state::SinkPosition& p : from) {
        if (p.topic == topic && p.partition == partition) start = p.offset;
      }
      if (start >= end) continue;
      assignment.push_back({tp, start});
      ends[tp] = end;
    }
  }
  if (assignment.empty()) return out;
  RETURN_IF_ERROR(consumer->Assign(assignment));
  while (!ends.empty()) {
    if (left().count() <= 0) {
      return cep::Unexpected(cep::DeadlineExceeded(
          "reading back the alerts written since the checkpoint: " + std::to_string(ends.size()) +
          " partition(s) not read to their end in time"));
    }
    ASSIGN_OR_RETURN(auto records, consumer->Poll(4096, std::chrono::milliseconds(100)));
    for (const kafka::Record& record : records) {
      const kafka::TopicPartition tp{std::string(record.topic), record.partition};
      auto end = ends.find(tp);
      if (end == ends.end()) continue;
      ++out->read_;
      if (auto alert = AlertOf(record); alert && !alert->alert_id().empty()) {
        out->written_[alert->alert_id()] = {tp.topic,        tp.partition,     record.offset,
                                            alert->ruleset(), alert->version(), alert->ts_ms()};
      } else {
        spdlog::warn("read back: {}/{}@{} is not an alert; ignored", tp.topic, tp.partition,
                     record.offset);
      }
      if (record.offset + 1 >= end->second) ends.erase(end);
    }
  }
  consumer->Close();
  out->any_.store(!out->written_.empty());
  return out;
}

void AlertReadBack::KeepOnly(const std::vector<std::pair<std::string, uint32_t>>& running) {
  std::lock_guard lock(mutex_);
  std::erase_if(written_, [&](const auto& entry) {
    const Written& w = entry.second;
    return std::find(running.begin(), running.end(), std::pair(w.ruleset, w.version)) ==
           running.end();
  });
  if (written_.empty()) any_.store(false, std::memory_order_release);
}

void AlertReadBack::Absorb(AlertReadBack&& other) {
  std::unordered_map<std::string, Written> more;
  {
    std::lock_guard lock(other.mutex_);
    more.swap(other.written_);
    other.any_.store(false, std::memory_order_release);
  }
  std::lock_guard lock(mutex_);
  read_ += other.read_.load();
  written_.merge(more);  // an id present in both stays once
  if (!written_.empty()) any_.store(true, std::memory_order_release);
}

void AlertReadBack::ForgetStampedBefore(const std::string& ruleset, int64_t bound_ms) {
  if (!any_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mutex_);
  std::erase_if(written_, [&](const auto& entry) {
    return entry.second.ruleset == ruleset && entry.second.ts_ms < bound_ms;
  });
  if (written_.empty()) any_.store(false, std::memory_order_release);
}

bool AlertReadBack::TakeIfWritten(std::string_view alert_id) {
  if (!any_.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(mutex_);
  auto it = written_.find(std::string(alert_id));
  if (it == written_.end()) return false;
  written_.erase(it);
  ++skipped_;
  if (written_.empty()) any_.store(false, std::memory_order_release);
  return true;
}

std::optional<int64_t> AlertReadBack::OldestPending(const std::string& topic,
                                                    int32_t partition) const {
  if (!any_.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(mutex_);
  std::optional<int64_t> oldest;
  for (const auto& [id, written] : written_) {
    if (written.topic == topic && written.partition == partition &&
        (!oldest || written.offset < *oldest)) {
      oldest = written.offset;
    }
  }
  return oldest;
}

uint64_t AlertReadBack::skipped() const {
  std::lock_guard lock(mutex_);
  return skipped_;
}

size_t AlertReadBack::pending() const {
  std::lock_guard lock(mutex_);
  return written_.size();
}

}  // namespace engine
