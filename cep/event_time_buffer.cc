#include "cep/event_time_buffer.h"

#include <algorithm>

namespace cep {
namespace {

bool Before(const std::shared_ptr<const Event>& a, const std::shared_ptr<const Event>& b) {
  return a->ts() != b->ts() ? a->ts() < b->ts() : a->seq() < b->seq();
}

// std::push_heap keeps the largest on top; this order puts the earliest there.
bool After(const std::shared_ptr<const Event>& a, const std::shared_ptr<const Event>& b) {
  return Before(b, a);
}

}  // namespace

void EventTimeBuffer::Add(std::shared_ptr<const Event> event) {
  if (in_order_.empty() || !Before(event, in_order_.back())) {
    in_order_.push_back(std::move(event));
    return;
  }
  out_of_order_.push_back(std::move(event));
  std::push_heap(out_of_order_.begin(), out_of_order_.end(), After);
}

std::optional<EventTime> EventTimeBuffer::earliest() const {
  std::optional<EventTime> first;
  if (!in_order_.empty()) first = in_order_.front()->ts();
  if (!out_of_order_.empty() && (!first || out_of_order_.front()->ts() < *first)) {
    first = out_of_order_.front()->ts();
  }
  return first;
}

void EventTimeBuffer::ForEach(FunctionRef<void(const std::shared_ptr<const Event>&)> fn) const {
  for (const auto& event : in_order_) fn(event);
  for (const auto& event : out_of_order_) fn(event);
}

void EventTimeBuffer::ReleaseUpTo(EventTime watermark,
                                  std::vector<std::shared_ptr<const Event>>& out) {
  // Merge the sorted run with the heap, earliest first, up to the watermark.
  for (;;) {
    const bool run = !in_order_.empty() && in_order_.front()->ts() <= watermark;
    const bool heap = !out_of_order_.empty() && out_of_order_.front()->ts() <= watermark;
    if (!run && !heap) return;
    if (run && (!heap || Before(in_order_.front(), out_of_order_.front()))) {
      out.push_back(std::move(in_order_.front()));
      in_order_.pop_front();
    } else {
      std::pop_heap(out_of_order_.begin(), out_of_order_.end(), After);
      out.push_back(std::move(out_of_order_.back()));
      out_of_order_.pop_back();
    }
  }
}

}  // namespace cep
