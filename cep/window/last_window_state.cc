#include "cep/window/last_window_state.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace cep {

using internal::AggregateSlot;
using internal::WordRing;

namespace {

constexpr uint32_t kExtremeWidth = 2;  // (entry seq, payload)
constexpr uint32_t kMinResumInterval = 64;

}  // namespace

LastWindowState::LastWindowState(const WindowSpec& spec) : spec_(&spec) {
  CHECK(spec.kind() == WindowKind::kLast, "LastWindowState needs a `last D` spec");
  if (spec.aggregate_count() > kInlineSlots) {
    heap_slots_ = std::make_unique<AggregateSlot[]>(spec.aggregate_count());
  }
  if (spec.extreme_count() > 0) extremes_ = std::make_unique<WordRing[]>(spec.extreme_count());
  if (spec.distinct_count() > 0) {
    distinct_ = std::make_unique<DistinctCounts[]>(spec.distinct_count());
  }
}

Status LastWindowState::OnEvent(EventTime ts, std::span<const AggregateInput> inputs,
                                std::span<Value> results) {
  CHECK(inputs.size() == spec_->aggregate_count(), "one input per aggregate");
  CHECK(results.size() == spec_->aggregate_count(), "one result per aggregate");
  if (!entries_.empty() &&
      ts.millis() < static_cast<int64_t>(entries_.Back(spec_->row_words())[0])) {
    return OutOfRange("last-window event before the key's latest event");
  }
  EvictUpTo(ts - spec_->size());
  Append(ts, inputs);
  WriteResults(results);
  return Status::Ok();
}

void LastWindowState::AdvanceWatermark(EventTime watermark) {
  EvictUpTo(watermark - spec_->size());
}

EventTime LastWindowState::NextDeadline() const {
  if (entries_.empty()) return EventTime::Max();
  const auto latest = static_cast<int64_t>(entries_.Back(spec_->row_words())[0]);
  return EventTime::FromMillis(latest) + spec_->size();
}

EventTime LastWindowState::latest() const {
  if (entries_.empty()) return EventTime::Min();
  return EventTime::FromMillis(static_cast<int64_t>(entries_.Back(spec_->row_words())[0]));
}

void LastWindowState::CurrentValues(std::span<Value> results) const {
  CHECK(results.size() == spec_->aggregate_count(), "one result per aggregate");
  WriteResults(results);
}

void LastWindowState::Append(EventTime ts, std::span<const AggregateInput> inputs) {
  const uint32_t width = spec_->row_words();
  uint64_t* row = entries_.PushBack(width);
  row[0] = static_cast<uint64_t>(ts.millis());
  uint64_t mask = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    const AggregateLayout& layout = spec_->layout()[i];
    const bool contributes = internal::Contributes(aggregate, inputs[i]);
    AggregateSlot& slot = slots()[i];
    if (layout.uses_mask_bit && contributes) mask |= uint64_t{1} << i;
    switch (aggregate.function) {
      case AggregateFunction::kCount:
        slot.count += contributes ? 1 : 0;
        break;
      case AggregateFunction::kSum:
      case AggregateFunction::kAvg: {
        const uint64_t payload = contributes ? internal::PayloadOf(inputs[i].value) : 0;
        row[layout.payload_word] = payload;
        slot.payload = internal::AddPayload(aggregate.value_type, slot.payload, payload);
        // sum has no mask bit: its count is the entries, so "empty" still reads 0.
        slot.count += (aggregate.function == AggregateFunction::kSum || contributes) ? 1 : 0;
        break;
      }
      case AggregateFunction::kMin:
      case AggregateFunction::kMax:
        if (contributes) AppendExtreme(i, internal::PayloadOf(inputs[i].value));
        break;
      case AggregateFunction::kCountDistinct: {
        char scratch[8];
        row[layout.payload_word] =
            contributes ? AddDistinct(i, internal::DistinctKey(inputs[i].value, scratch)) : 0;
        break;
      }
    }
  }
  if (spec_->has_mask()) row[1] = mask;
}

// Keeps the deque's payloads strictly improving from back to front, so the front is
// the extreme of the window; an equal newer value replaces an older one because it
// stays in the window longer.
void LastWindowState::AppendExtreme(size_t aggregate, uint64_t payload) {
  const AggregateSpec& spec = spec_->aggregates()[aggregate];
  WordRing& deque = extremes_[static_cast<size_t>(spec_->layout()[aggregate].extreme_index)];
  while (!deque.empty() && !internal::Improves(spec.function, spec.value_type,
                                               deque.Back(kExtremeWidth)[1], payload)) {
    deque.PopBack(kExtremeWidth);
  }
  uint64_t* row = deque.PushBack(kExtremeWidth);
  row[0] = first_seq_ + entries_.size() - 1;  // the entry just pushed
  row[1] = payload;
}

// Returns the node as the entry's payload word: unordered_map nodes never move.
uint64_t LastWindowState::AddDistinct(size_t aggregate, std::string_view key) {
  DistinctCounts& counts =
      distinct_[static_cast<size_t>(spec_->layout()[aggregate].distinct_index)];
  auto it = counts.find(key);
  if (it == counts.end()) it = counts.emplace(std::string(key), 0).first;
  ++it->second;
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&*it));
}

void LastWindowState::EvictUpTo(EventTime cutoff) {
  const uint32_t width = spec_->row_words();
  uint32_t evicted = 0;
  while (!entries_.empty() && static_cast<int64_t>(entries_.Front(width)[0]) <= cutoff.millis()) {
    EvictFront();
    ++evicted;
  }
  if (evicted > 0) AfterEvictions(evicted);
}

void LastWindowState::EvictFront() {
  const uint32_t width = spec_->row_words();
  const uint64_t* row = entries_.Front(width);
  const uint64_t mask = spec_->has_mask() ? row[1] : 0;
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    const AggregateLayout& layout = spec_->layout()[i];
    AggregateSlot& slot = slots()[i];
    const bool bit = ((mask >> i) & 1) != 0;
    switch (aggregate.function) {
      case AggregateFunction::kCount:
        slot.count -= (!aggregate.has_filter || bit) ? 1 : 0;
        break;
      case AggregateFunction::kSum:
      case AggregateFunction::kAvg:
        slot.payload =
            internal::SubtractPayload(aggregate.value_type, slot.payload, row[layout.payload_word]);
        slot.count -= (aggregate.function == AggregateFunction::kSum || bit) ? 1 : 0;
        break;
      case AggregateFunction::kMin:
      case AggregateFunction::kMax: {
        WordRing& deque = extremes_[static_cast<size_t>(layout.extreme_index)];
        if (!deque.empty() && deque.Front(kExtremeWidth)[0] == first_seq_) {
          deque.PopFront(kExtremeWidth);
        }
        break;
      }
      case AggregateFunction::kCountDistinct: {
        if (row[layout.payload_word] == 0) break;
        auto* node =
            reinterpret_cast<DistinctNode*>(static_cast<uintptr_t>(row[layout.payload_word]));
        if (--node->second == 0) {
          DistinctCounts& counts = distinct_[static_cast<size_t>(layout.distinct_index)];
          counts.erase(counts.find(std::string_view(node->first)));
        }
        break;
      }
    }
  }
  entries_.PopFront(width);
  ++first_seq_;
}

void LastWindowState::AfterEvictions(uint32_t evicted) {
  if (!spec_->has_float_sum()) return;
  evictions_since_resum_ += evicted;
  if (evictions_since_resum_ >= std::max(entries_.size(), kMinResumInterval) || entries_.empty()) {
    ResumFloats();
  }
}

void LastWindowState::ResumFloats() {
  const uint32_t width = spec_->row_words();
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    const bool float_sum =
        aggregate.value_type == Type::kFloat && (aggregate.function == AggregateFunction::kSum ||
                                                 aggregate.function == AggregateFunction::kAvg);
    if (!float_sum) continue;
    double sum = 0.0;
    const auto word = static_cast<size_t>(spec_->layout()[i].payload_word);
    for (uint32_t e = 0; e < entries_.size(); ++e) {
      sum += std::bit_cast<double>(entries_.Row(e, width)[word]);
    }
    slots()[i].payload = std::bit_cast<uint64_t>(sum);
  }
  evictions_since_resum_ = 0;
}

void LastWindowState::WriteResults(std::span<Value> results) const {
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    const AggregateLayout& layout = spec_->layout()[i];
    if (layout.extreme_index >= 0) {
      const WordRing& deque = extremes_[static_cast<size_t>(layout.extreme_index)];
      results[i] = deque.empty() ? Value::Null()
                                 : internal::ValueOfPayload(aggregate.value_type,
                                                            deque.Row(0, kExtremeWidth)[1]);
    } else if (layout.distinct_index >= 0) {
      const size_t distinct = distinct_[static_cast<size_t>(layout.distinct_index)].size();
      results[i] = Value::Int(static_cast<int64_t>(distinct));
    } else {
      results[i] = internal::FinishAggregate(aggregate, slots()[i], 0);
    }
  }
}

size_t LastWindowState::ByteSize() const {
  const uint32_t width = spec_->row_words();
  size_t bytes = sizeof(*this) + entries_.HeapBytes(width) +
                 (heap_slots_ ? spec_->aggregate_count() * sizeof(AggregateSlot) : 0);
  for (uint32_t i = 0; i < spec_->extreme_count(); ++i) {
    bytes += sizeof(WordRing) + extremes_[i].HeapBytes(kExtremeWidth);
  }
  for (uint32_t i = 0; i < spec_->distinct_count(); ++i) {
    const DistinctCounts& counts = distinct_[i];
    // libstdc++ nodes: next pointer, cached hash, the pair; plus the bucket array.
    bytes += sizeof(DistinctCounts) + counts.bucket_count() * sizeof(void*) +
             counts.size() * (sizeof(DistinctNode) + 2 * sizeof(void*));
    for (const auto& [key, count] : counts) {
      if (key.capacity() > 15) bytes += key.capacity() + 1;
    }
  }
  return bytes;
}

}  // namespace cep
