#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cep/base/check.h"
#include "cep/event.h"
#include "cep/match_view.h"
#include "cep/nfa/internal/small_vector.h"

namespace cep::internal {

// The events and path prefixes of one matcher's partial matches (SASE+'s shared
// match buffer; Flink's SharedBuffer). A partial match is a pointer to its last
// node; each node records (stage, event) and points at the node before it, so
// branches that split from a common prefix share it, and an event taken by many
// branches is stored once (one entry, reference counted).
//
// Flink stores one node per (stage, event) and tells the paths through it apart
// with Dewey version numbers on the edges. We never merge nodes: every TAKE makes
// a node with exactly one predecessor, so a path is identified by its last node
// and needs no version. Nodes and event entries are reference counted (a
// partial, a held match, or a child node each hold one reference) and recycled
// through free lists; releasing a path frees every node no one else needs.
//
// Threading: one owner (the matcher). Indices are stable until released.
class SharedBuffer {
 public:
  static constexpr uint32_t kNil = UINT32_MAX;

  struct Node {
    uint32_t event = kNil;   // index into the event entries
    uint32_t parent = kNil;  // previous node of the path
    uint32_t refs = 0;
    StageIndex stage = 0;
  };
  struct EventEntry {
    std::shared_ptr<const Event> event;  // null when the entry is free
    uint32_t refs = 0;                   // nodes (plus the caller's pin) using it
  };

  // Stores `event` with one reference held by the caller (the pin), so several
  // nodes can be made from it; Unpin() when done.
  uint32_t AddEvent(std::shared_ptr<const Event> event);
  void UnpinEvent(uint32_t entry) { ReleaseEvent(entry); }

  // A node for `event` accepted by `stage` after `parent` (kNil: first event). It
  // holds a reference on its parent and its event; it starts with zero references.
  uint32_t AddNode(uint32_t event, uint32_t parent, StageIndex stage);
  void Retain(uint32_t node) {
    if (node != kNil) ++nodes_[node].refs;
  }
  // Drops one reference; frees the node and, in turn, its unreferenced ancestors.
  void Release(uint32_t node);

  const Node& node(uint32_t index) const { return nodes_[index]; }
  const Event& event_of(uint32_t node) const { return *events_[nodes_[node].event].event; }
  const std::shared_ptr<const Event>& shared_event_of(uint32_t node) const {
    return events_[nodes_[node].event].event;
  }

  size_t live_nodes() const { return live_nodes_; }
  size_t live_events() const { return live_events_; }
  size_t ByteSize() const;

  // For snapshots: the raw tables, free slots included.
  using NodeTable = SmallVector<Node, 4>;
  const NodeTable& nodes() const { return nodes_; }
  const std::vector<EventEntry>& events() const { return events_; }
  // Rebuilds from tables read back by a snapshot (free lists and counts recomputed).
  void Restore(std::vector<Node> nodes, std::vector<EventEntry> events);

 private:
  void ReleaseEvent(uint32_t entry);

  NodeTable nodes_;
  std::vector<EventEntry> events_;
  uint32_t free_node_ = kNil;   // free nodes are chained through `parent`
  uint32_t free_event_ = kNil;  // free entries are chained through `refs`
  size_t live_nodes_ = 0;
  size_t live_events_ = 0;
};

// A MatchView over the path ending at `node`: what a condition sees of a partial
// match (CEP_SEMANTICS.md, iterative conditions). Valid while the path lives.
class PathView final : public MatchView {
 public:
  PathView(const SharedBuffer& buffer, uint32_t node) : buffer_(buffer), node_(node) {}
  void ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const override;

 private:
  const SharedBuffer& buffer_;
  uint32_t node_;
};

}  // namespace cep::internal
