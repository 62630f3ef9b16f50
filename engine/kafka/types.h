#pragma once

// Value types shared by engine/kafka's Producer and Consumer.

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace engine::kafka {

// One record header. A view: the bytes belong to the caller (Produce) or to the
// Consumer's current batch (Record::headers).
struct Header {
  std::string_view name{};
  std::string_view value{};
};

struct TopicPartition {
  std::string topic{};
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// Special offsets accepted by Consumer::Assign (librdkafka's values).
inline constexpr int64_t kOffsetBeginning = -2;  // the oldest record still kept
inline constexpr int64_t kOffsetEnd = -1;        // only records produced from now on
inline constexpr int64_t kOffsetStored = -1000;  // the group's committed offset, else reset policy

// A position in a partition. `offset` is the next record to read (Kafka's
// committed-offset convention: last processed + 1).
struct PartitionOffset {
  TopicPartition tp{};
  int64_t offset = 0;
};

// One consumed record: a view valid until the next Consumer::Poll (or Close).
// A null key or value reads as an empty view.
struct Record {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  int64_t timestamp_ms = -1;  // producer (CreateTime) or broker (LogAppendTime) time; -1 if none
  std::span<const Header> headers;  // in the record's order; names may repeat
};

}  // namespace engine::kafka
