#include "cep/event_time_buffer.h"

#include <algorithm>

namespace cep {
namespace {

bool Before(const std::shared_ptr<const Event>& a, const std::shared_ptr<const Event>& b) {
  return a->ts() != b->ts() ? a->ts() < b->ts() : a->seq() < b->seq();
}

}  // namespace

void EventTimeBuffer::Add(std::shared_ptr<const Event> event) {
  if (events_.empty() || !Before(event, events_.back())) {
    events_.push_back(std::move(event));
    return;
  }
  auto at = std::upper_bound(events_.begin(), events_.end(), event, Before);
  events_.insert(at, std::move(event));
}

void EventTimeBuffer::ReleaseUpTo(EventTime watermark,
                                  std::vector<std::shared_ptr<const Event>>& out) {
  while (!events_.empty() && events_.front()->ts() <= watermark) {
    out.push_back(std::move(events_.front()));
    events_.pop_front();
  }
}

}  // namespace cep
