#include "cep/window/firing_window_state.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace cep {

using internal::AggregateSlot;

namespace {

// Event times the window arithmetic accepts: with durations capped at 2^50 ms,
// ts ± D and k * S stay far from int64 overflow.
constexpr int64_t kMaxAbsTs = int64_t{1} << 62;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t quotient = a / b;
  return (a % b != 0 && a < 0) ? quotient - 1 : quotient;
}

bool NeedsPayload(AggregateFunction function) {
  return function != AggregateFunction::kCount && function != AggregateFunction::kCountDistinct;
}

}  // namespace

FiringWindowState::FiringWindowState(const WindowSpec& spec) : spec_(&spec) {
  CHECK(spec.kind() != WindowKind::kLast, "FiringWindowState needs tumbling, sliding or session");
}

Status FiringWindowState::OnEvent(EventTime ts, std::span<const AggregateInput> inputs) {
  CHECK(inputs.size() == spec_->aggregate_count(), "one input per aggregate");
  const int64_t t = ts.millis();
  if (t <= -kMaxAbsTs || t >= kMaxAbsTs) return OutOfRange("event time out of range for windows");
  if (spec_->kind() == WindowKind::kSession) return AddToSession(t, inputs);
  const int64_t size = spec_->size().millis();
  const int64_t slide = spec_->slide().millis();
  // Windows [kS, kS + D) containing t: kS <= t < kS + D.
  const int64_t first_k = FloorDiv(t - size, slide) + 1;
  const int64_t last_k = FloorDiv(t, slide);
  bool added = false;
  for (int64_t k = first_k; k <= last_k; ++k) {
    const int64_t start = k * slide;
    if (HasFired(start + size)) continue;
    Accumulate(FindOrInsert(start, start + size), inputs);
    added = true;
  }
  // With S > D some events fall between windows: they belong to none, which is fine.
  if (!added && first_k <= last_k) return OutOfRange("every window of the event already fired");
  return Status::Ok();
}

FiringWindowState::OpenWindow FiringWindowState::NewWindow(int64_t start, int64_t end) const {
  OpenWindow window;
  window.start = start;
  window.end = end;
  window.slots = std::make_unique<AggregateSlot[]>(spec_->aggregate_count());
  if (spec_->distinct_count() > 0) {
    window.distinct = std::make_unique<DistinctSet[]>(spec_->distinct_count());
  }
  return window;
}

FiringWindowState::OpenWindow& FiringWindowState::FindOrInsert(int64_t start, int64_t end) {
  auto it = std::lower_bound(windows_.begin(), windows_.end(), start,
                             [](const OpenWindow& w, int64_t s) { return w.start < s; });
  if (it != windows_.end() && it->start == start) return *it;
  return *windows_.insert(it, NewWindow(start, end));
}

// Flink's rule: each event opens [ts, ts + D) and sessions that overlap it merge, so
// events closer than D apart share a session and an event exactly D after the last one
// starts a new one. A late event may bridge two open sessions.
Status FiringWindowState::AddToSession(int64_t ts, std::span<const AggregateInput> inputs) {
  const int64_t end = ts + spec_->size().millis();
  auto first = std::partition_point(windows_.begin(), windows_.end(),
                                    [ts](const OpenWindow& w) { return w.end <= ts; });
  auto last = first;
  while (last != windows_.end() && last->start < end) ++last;
  if (first == last) {
    if (HasFired(end)) return OutOfRange("the event's session already fired");
    Accumulate(*windows_.insert(first, NewWindow(ts, end)), inputs);
    return Status::Ok();
  }
  const int64_t merged_end = std::max(std::prev(last)->end, end);
  for (auto it = std::next(first); it != last; ++it) MergeInto(*first, *it);
  first->start = std::min(first->start, ts);
  first->end = merged_end;
  OpenWindow& session = *first;
  windows_.erase(std::next(first), last);  // `first` precedes the erased range: still valid
  Accumulate(session, inputs);
  return Status::Ok();
}

void FiringWindowState::MergeInto(OpenWindow& into, OpenWindow& from) const {
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    internal::MergeSlot(spec_->aggregates()[i], into.slots[i], from.slots[i]);
  }
  for (uint32_t d = 0; d < spec_->distinct_count(); ++d) into.distinct[d].merge(from.distinct[d]);
}

void FiringWindowState::Accumulate(OpenWindow& window,
                                   std::span<const AggregateInput> inputs) const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const AggregateSpec& aggregate = spec_->aggregates()[i];
    if (!internal::Contributes(aggregate, inputs[i])) continue;
    const int8_t distinct_index = spec_->layout()[i].distinct_index;
    if (distinct_index >= 0) {
      char scratch[8];
      const std::string_view key = internal::DistinctKey(inputs[i].value, scratch);
      DistinctSet& set = window.distinct[static_cast<size_t>(distinct_index)];
      if (set.find(key) == set.end()) set.emplace(key);  // copies: the event dies
    }
    const uint64_t payload =
        NeedsPayload(aggregate.function) ? internal::PayloadOf(inputs[i].value) : 0;
    internal::Accumulate(aggregate, window.slots[i], payload);
  }
}

void FiringWindowState::AdvanceWatermark(EventTime watermark, std::vector<WindowResult>& out) {
  CHECK(watermark >= watermark_, "a key's watermark went backwards");
  watermark_ = watermark;
  size_t fired = 0;
  while (fired < windows_.size() && HasFired(windows_[fired].end)) {
    out.push_back(Finish(windows_[fired]));
    ++fired;
  }
  windows_.erase(windows_.begin(), windows_.begin() + static_cast<ptrdiff_t>(fired));
}

WindowResult FiringWindowState::Finish(const OpenWindow& window) const {
  WindowResult result{EventTime::FromMillis(window.start), EventTime::FromMillis(window.end), {}};
  result.values.reserve(spec_->aggregate_count());
  for (size_t i = 0; i < spec_->aggregate_count(); ++i) {
    const int8_t distinct_index = spec_->layout()[i].distinct_index;
    const size_t distinct =
        distinct_index >= 0 ? window.distinct[static_cast<size_t>(distinct_index)].size() : 0;
    result.values.push_back(
        internal::FinishAggregate(spec_->aggregates()[i], window.slots[i], distinct));
  }
  return result;
}

std::vector<WindowResult> FiringWindowState::OpenWindows() const {
  std::vector<WindowResult> out;
  out.reserve(windows_.size());
  for (const OpenWindow& window : windows_) out.push_back(Finish(window));
  return out;
}

EventTime FiringWindowState::NextDeadline() const {
  if (windows_.empty()) return EventTime::Max();
  return EventTime::FromMillis(windows_.front().end - 1);
}

size_t FiringWindowState::ByteSize() const {
  size_t bytes = sizeof(*this) + windows_.capacity() * sizeof(OpenWindow);
  for (const OpenWindow& window : windows_) {
    bytes += spec_->aggregate_count() * sizeof(AggregateSlot);
    for (uint32_t d = 0; d < spec_->distinct_count(); ++d) {
      const DistinctSet& set = window.distinct[d];
      bytes += sizeof(DistinctSet) + set.bucket_count() * sizeof(void*) +
               set.size() * (sizeof(std::string) + 2 * sizeof(void*));
      for (const std::string& key : set) {
        if (key.capacity() > 15) bytes += key.capacity() + 1;
      }
    }
  }
  return bytes;
}

}  // namespace cep
