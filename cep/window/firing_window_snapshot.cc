// Snapshot and restore of FiringWindowState; the byte layout is in README.md
// ("Snapshot format"). count_distinct keys are written sorted so that equal states
// give equal bytes whatever the hash sets' iteration order.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cep/window/firing_window_state.h"
#include "cep/window/internal/byte_codec.h"

namespace cep {

using internal::ByteReader;
using internal::ByteWriter;

namespace {

constexpr int64_t kMaxAbsTs = int64_t{1} << 62;

bool HasPayload(AggregateFunction function) {
  return function != AggregateFunction::kCount && function != AggregateFunction::kCountDistinct;
}

}  // namespace

std::string FiringWindowState::Snapshot() const {
  std::string out;
  ByteWriter writer(out);
  writer.Header(*spec_);
  writer.Signed(watermark_.millis());
  writer.Varint(windows_.size());
  std::vector<std::string_view> keys;
  for (const OpenWindow& window : windows_) {
    writer.Signed(window.start);
    writer.Varint(static_cast<uint64_t>(window.end - window.start));
    for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
      const AggregateSpec& aggregate = spec_->aggregates()[i];
      writer.Varint(static_cast<uint64_t>(window.slots[i].count));
      if (HasPayload(aggregate.function)) {
        writer.Payload(aggregate.value_type, window.slots[i].payload);
      }
      const int8_t distinct_index = spec_->layout()[i].distinct_index;
      if (distinct_index < 0) continue;
      const DistinctSet& set = window.distinct[static_cast<size_t>(distinct_index)];
      keys.assign(set.begin(), set.end());
      std::sort(keys.begin(), keys.end());
      writer.Varint(keys.size());
      for (std::string_view key : keys) writer.Bytes(key);
    }
  }
  writer.Finish();
  return out;
}

Result<FiringWindowState> FiringWindowState::Restore(const WindowSpec& spec,
                                                     std::string_view bytes) {
  if (spec.kind() == WindowKind::kLast) return InvalidArgument("a `last D` spec");
  ASSIGN_OR_RETURN(ByteReader reader, ByteReader::Open(bytes, spec));
  FiringWindowState state(spec);
  ASSIGN_OR_RETURN(const int64_t watermark, reader.Signed());
  state.watermark_ = EventTime::FromMillis(watermark);
  ASSIGN_OR_RETURN(const uint64_t count, reader.Count());
  for (uint64_t w = 0; w < count; ++w) RETURN_IF_ERROR(state.RestoreWindow(reader));
  if (!reader.at_end()) return reader.Corrupt("trailing bytes");
  return state;
}

// Checks what the operations rely on: windows sorted and disjoint (sessions) or of the
// spec's shape (tumbling, sliding), none already due, counts not negative.
Status FiringWindowState::RestoreWindow(ByteReader& reader) {
  ASSIGN_OR_RETURN(const int64_t start, reader.Signed());
  ASSIGN_OR_RETURN(const uint64_t length, reader.Varint());
  if (start <= -kMaxAbsTs || start >= kMaxAbsTs || length == 0 ||
      length > static_cast<uint64_t>(WindowSpec::kMaxDuration.millis()) * 2) {
    return reader.Corrupt("window bounds out of range");
  }
  const int64_t end = start + static_cast<int64_t>(length);
  const bool session = spec_->kind() == WindowKind::kSession;
  const bool shaped =
      session || (end - start == spec_->size().millis() && start % spec_->slide().millis() == 0);
  const bool ordered =
      windows_.empty() || (session ? start >= windows_.back().end : start > windows_.back().start);
  if (!shaped || !ordered || HasFired(end)) return reader.Corrupt("window out of shape or order");
  OpenWindow window = NewWindow(start, end);
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    ASSIGN_OR_RETURN(const uint64_t slot_count, reader.Varint());
    if (slot_count > static_cast<uint64_t>(INT64_MAX)) return reader.Corrupt("bad count");
    window.slots[i].count = static_cast<int64_t>(slot_count);
    if (HasPayload(aggregate.function)) {
      ASSIGN_OR_RETURN(window.slots[i].payload, reader.Payload(aggregate.value_type));
    }
    const int8_t distinct_index = spec_->layout()[i].distinct_index;
    if (distinct_index < 0) continue;
    DistinctSet& set = window.distinct[static_cast<size_t>(distinct_index)];
    ASSIGN_OR_RETURN(const uint64_t keys, reader.Count());
    for (uint64_t k = 0; k < keys; ++k) {
      ASSIGN_OR_RETURN(const std::string_view key, reader.Bytes());
      set.emplace(key);
    }
  }
  windows_.push_back(std::move(window));
  return Status::Ok();
}

}  // namespace cep
