#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/base/time.h"
#include "cep/schema.h"
#include "cep/value.h"

namespace cep {

// One event as the core sees it: its event time, its arrival sequence number
// (ties in `ts` keep arrival order), the id alerts name it by, and one Value per
// schema slot (null when absent). Immutable once built. The event owns the bytes
// of its string values in one allocation, so its Values stay valid as long as it
// lives and moving it keeps them valid. Partial matches share events through
// std::shared_ptr<const Event> instead of copying them.
class Event {
 public:
  Event(Event&&) noexcept = default;
  Event& operator=(Event&&) noexcept = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  EventTime ts() const { return ts_; }
  uint64_t seq() const { return seq_; }
  // The input partition the event was read from (-1: none, e.g. a replayed
  // file or HTTP ingest). Keyed state remembers it, so that state can be
  // checkpointed and restored by partition.
  int32_t partition() const { return partition_; }
  // Set by the engine right after decoding, before the event is shared.
  void set_partition(int32_t partition) { partition_ = partition; }
  std::string_view id() const { return {storage_.get(), id_size_}; }

  const Value& field(SlotIndex slot) const {
    DCHECK(slot < fields_.size(), "slot out of range");
    return fields_[slot];
  }
  size_t field_count() const { return fields_.size(); }

  // Heap bytes held, for state accounting.
  size_t ByteSize() const { return sizeof(Event) + fields_.capacity() * sizeof(Value) + storage_size_; }

 private:
  friend class EventBuilder;
  Event() = default;

  EventTime ts_;
  uint64_t seq_ = 0;
  std::vector<Value> fields_;
  std::unique_ptr<char[]> storage_;  // id first, then string field bytes
  uint32_t id_size_ = 0;
  uint32_t storage_size_ = 0;
  int32_t partition_ = -1;
};

// Builds Events slot by slot, copying string bytes; reusable (Build resets it),
// so a decoder keeps one per thread and allocates only the event itself.
// Threading: one owner.
class EventBuilder {
 public:
  explicit EventBuilder(size_t field_count);

  EventBuilder& SetTs(EventTime ts) {
    ts_ = ts;
    return *this;
  }
  EventBuilder& SetSeq(uint64_t seq) {
    seq_ = seq;
    return *this;
  }
  EventBuilder& SetId(std::string_view id);
  // Sets a slot; a string's bytes are copied, so `value` may borrow temporaries.
  EventBuilder& Set(SlotIndex slot, const Value& value);

  // The string set for `slot`, if any; valid until the next Set or Build. Lets
  // the engine scan a field (regexes) before the event is sealed.
  std::optional<std::string_view> PeekString(SlotIndex slot) const;

  Event Build();

 private:
  struct PendingString {
    SlotIndex slot;
    uint32_t offset;
    uint32_t size;
  };

  EventTime ts_;
  uint64_t seq_ = 0;
  std::vector<Value> fields_;
  std::string id_;
  std::string bytes_;
  std::vector<PendingString> strings_;
};

}  // namespace cep
