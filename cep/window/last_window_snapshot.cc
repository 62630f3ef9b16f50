// Snapshot and restore of LastWindowState; the byte layout is in README.md
// ("Snapshot format"). Counts and count_distinct maps are rebuilt from the entries;
// running sums are stored, because a float sum's rounding history is part of the
// state and a restored run must continue bit for bit like the uninterrupted one.
#include <string>
#include <utility>

#include "cep/window/internal/byte_codec.h"
#include "cep/window/last_window_state.h"

namespace cep {

using internal::ByteReader;
using internal::ByteWriter;

namespace {

constexpr uint32_t kExtremeWidth = 2;

bool IsSumLike(AggregateFunction function) {
  return function == AggregateFunction::kSum || function == AggregateFunction::kAvg;
}

}  // namespace

std::string LastWindowState::Snapshot() const {
  std::string out;
  ByteWriter writer(out);
  writer.Header(*spec_);
  const uint32_t width = spec_->row_words();
  writer.Varint(entries_.size());
  int64_t previous_ts = 0;
  for (uint32_t e = 0; e < entries_.size(); ++e) {
    const uint64_t* row = entries_.Row(e, width);
    const auto ts = static_cast<int64_t>(row[0]);
    if (e == 0) {
      writer.Signed(ts);
    } else {
      writer.Varint(static_cast<uint64_t>(ts) - static_cast<uint64_t>(previous_ts));
    }
    previous_ts = ts;
    if (spec_->has_mask()) writer.Varint(row[1]);
    for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
      const AggregateSpec& aggregate = spec_->aggregates()[i];
      const int8_t word = spec_->layout()[i].payload_word;
      if (IsSumLike(aggregate.function)) {
        writer.Payload(aggregate.value_type, row[word]);
      } else if (aggregate.function == AggregateFunction::kCountDistinct) {
        writer.U8(row[word] != 0 ? 1 : 0);
        if (row[word] == 0) continue;
        const auto* node = reinterpret_cast<const DistinctNode*>(static_cast<uintptr_t>(row[word]));
        writer.Bytes(node->first);
      }
    }
  }
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    if (IsSumLike(aggregate.function)) writer.Payload(aggregate.value_type, slots()[i].payload);
  }
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const int8_t index = spec_->layout()[i].extreme_index;
    if (index < 0) continue;
    const internal::WordRing& deque = extremes_[static_cast<size_t>(index)];
    writer.Varint(deque.size());
    for (uint32_t d = 0; d < deque.size(); ++d) {
      const uint64_t* row = deque.Row(d, kExtremeWidth);
      writer.Varint(row[0] - first_seq_);
      writer.Payload(spec_->aggregates()[i].value_type, row[1]);
    }
  }
  writer.Varint(evictions_since_resum_);
  writer.Finish();
  return out;
}

Result<LastWindowState> LastWindowState::Restore(const WindowSpec& spec, std::string_view bytes) {
  if (spec.kind() != WindowKind::kLast) return InvalidArgument("not a `last D` spec");
  ASSIGN_OR_RETURN(ByteReader reader, ByteReader::Open(bytes, spec));
  LastWindowState state(spec);
  RETURN_IF_ERROR(state.RestoreEntries(reader));
  for (size_t i = 0; i < spec.aggregate_count(); ++i) {
    const AggregateSpec& aggregate = spec.aggregates()[i];
    if (!IsSumLike(aggregate.function)) continue;
    ASSIGN_OR_RETURN(state.slots()[i].payload, reader.Payload(aggregate.value_type));
  }
  RETURN_IF_ERROR(state.RestoreExtremes(reader));
  ASSIGN_OR_RETURN(const uint64_t evictions, reader.Varint());
  if (evictions > UINT32_MAX) return reader.Corrupt("eviction counter out of range");
  state.evictions_since_resum_ = static_cast<uint32_t>(evictions);
  if (!reader.at_end()) return reader.Corrupt("trailing bytes");
  return state;
}

Status LastWindowState::RestoreEntries(ByteReader& reader) {
  const uint32_t width = spec_->row_words();
  uint64_t allowed_mask = 0;
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    if (spec_->layout()[i].uses_mask_bit) allowed_mask |= uint64_t{1} << i;
  }
  ASSIGN_OR_RETURN(const uint64_t count, reader.Count());
  int64_t ts = 0;
  for (uint64_t e = 0; e < count; ++e) {
    if (e == 0) {
      ASSIGN_OR_RETURN(ts, reader.Signed());
    } else {
      ASSIGN_OR_RETURN(const uint64_t delta, reader.Varint());
      if (delta > INT64_MAX || __builtin_add_overflow(ts, static_cast<int64_t>(delta), &ts)) {
        return reader.Corrupt("entry time overflows");
      }
    }
    uint64_t mask = 0;
    if (spec_->has_mask()) {
      ASSIGN_OR_RETURN(mask, reader.Varint());
      if ((mask & ~allowed_mask) != 0) return reader.Corrupt("unknown mask bits");
    }
    uint64_t* row = entries_.PushBack(width);
    row[0] = static_cast<uint64_t>(ts);
    if (spec_->has_mask()) row[1] = mask;
    for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
      const AggregateSpec& aggregate = spec_->aggregates()[i];
      const int8_t word = spec_->layout()[i].payload_word;
      const bool bit = ((mask >> i) & 1) != 0;
      switch (aggregate.function) {
        case AggregateFunction::kCount:
          slots()[i].count += (!aggregate.has_filter || bit) ? 1 : 0;
          break;
        case AggregateFunction::kSum:
        case AggregateFunction::kAvg: {
          ASSIGN_OR_RETURN(row[word], reader.Payload(aggregate.value_type));
          slots()[i].count += (aggregate.function == AggregateFunction::kSum || bit) ? 1 : 0;
          break;
        }
        case AggregateFunction::kMin:
        case AggregateFunction::kMax:
          break;
        case AggregateFunction::kCountDistinct: {
          ASSIGN_OR_RETURN(const uint8_t present, reader.U8());
          if (present > 1) return reader.Corrupt("bad count_distinct marker");
          row[word] = 0;
          if (present == 0) break;
          ASSIGN_OR_RETURN(const std::string_view key, reader.Bytes());
          row[word] = AddDistinct(i, key);
          break;
        }
      }
    }
  }
  return Status::Ok();
}

Status LastWindowState::RestoreExtremes(ByteReader& reader) {
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const int8_t index = spec_->layout()[i].extreme_index;
    if (index < 0) continue;
    internal::WordRing& deque = extremes_[static_cast<size_t>(index)];
    ASSIGN_OR_RETURN(const uint64_t size, reader.Count());
    uint64_t previous = 0;
    for (uint64_t d = 0; d < size; ++d) {
      ASSIGN_OR_RETURN(const uint64_t seq, reader.Varint());
      if (seq >= entries_.size() || (d > 0 && seq <= previous)) {
        return reader.Corrupt("min/max deque index out of order");
      }
      previous = seq;
      ASSIGN_OR_RETURN(const uint64_t payload, reader.Payload(spec_->aggregates()[i].value_type));
      uint64_t* row = deque.PushBack(kExtremeWidth);
      row[0] = seq;
      row[1] = payload;
    }
  }
  return Status::Ok();
}

}  // namespace cep
