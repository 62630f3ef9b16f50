#include "cep/nfa/internal/shared_buffer.h"

#include <array>
#include <utility>

namespace cep::internal {

uint32_t SharedBuffer::AddEvent(std::shared_ptr<const Event> event) {
  uint32_t entry = free_event_;
  if (entry == kNil) {
    CHECK(events_.size() < kNil, "shared buffer event table full");
    entry = static_cast<uint32_t>(events_.size());
    events_.emplace_back();
  } else {
    free_event_ = events_[entry].refs;
  }
  events_[entry].event = std::move(event);
  events_[entry].refs = 1;
  ++live_events_;
  return entry;
}

void SharedBuffer::ReleaseEvent(uint32_t entry) {
  EventEntry& e = events_[entry];
  DCHECK(e.refs > 0 && e.event != nullptr, "event entry released too often");
  if (--e.refs > 0) return;
  e.event.reset();
  e.refs = free_event_;
  free_event_ = entry;
  --live_events_;
}

uint32_t SharedBuffer::AddNode(uint32_t event, uint32_t parent, StageIndex stage) {
  uint32_t index = free_node_;
  if (index == kNil) {
    CHECK(nodes_.size() < kNil, "shared buffer node table full");
    index = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  } else {
    free_node_ = nodes_[index].parent;
  }
  nodes_[index] = Node{event, parent, 0, stage};
  ++events_[event].refs;
  Retain(parent);
  ++live_nodes_;
  return index;
}

void SharedBuffer::Release(uint32_t node) {
  while (node != kNil) {
    Node& n = nodes_[node];
    DCHECK(n.refs > 0, "node released too often");
    if (--n.refs > 0) return;
    const uint32_t parent = n.parent;
    ReleaseEvent(n.event);
    n.event = kNil;
    n.parent = free_node_;
    free_node_ = node;
    --live_nodes_;
    node = parent;
  }
}

size_t SharedBuffer::ByteSize() const {
  size_t bytes = sizeof(*this) + nodes_.capacity() * sizeof(Node) +
                 events_.capacity() * sizeof(EventEntry);
  for (const EventEntry& e : events_) {
    if (e.event != nullptr) bytes += e.event->ByteSize();
  }
  return bytes;
}

void SharedBuffer::Restore(std::vector<Node> nodes, std::vector<EventEntry> events) {
  nodes_.assign(nodes.data(), nodes.data() + nodes.size());
  events_ = std::move(events);
  free_node_ = free_event_ = kNil;
  live_nodes_ = live_events_ = 0;
  for (size_t i = nodes_.size(); i-- > 0;) {
    if (nodes_[i].event == kNil) {
      nodes_[i].parent = free_node_;
      free_node_ = static_cast<uint32_t>(i);
    } else {
      ++live_nodes_;
    }
  }
  for (size_t i = events_.size(); i-- > 0;) {
    if (events_[i].event == nullptr) {
      events_[i].refs = free_event_;
      free_event_ = static_cast<uint32_t>(i);
    } else {
      ++live_events_;
    }
  }
}

void PathView::ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const {
  // The path runs newest to oldest; conditions want acceptance order.
  std::array<const Event*, 32> inline_events;
  std::vector<const Event*> more;
  size_t count = 0;
  for (uint32_t n = node_; n != SharedBuffer::kNil; n = buffer_.node(n).parent) {
    if (buffer_.node(n).stage != stage) continue;
    if (count < inline_events.size()) {
      inline_events[count] = &buffer_.event_of(n);
    } else {
      more.push_back(&buffer_.event_of(n));
    }
    ++count;
  }
  for (size_t i = more.size(); i-- > 0;) fn(*more[i]);
  for (size_t i = std::min(count, inline_events.size()); i-- > 0;) fn(*inline_events[i]);
}

}  // namespace cep::internal
