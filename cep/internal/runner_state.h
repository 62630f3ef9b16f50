#pragma once

#include <algorithm>

// The runner's per-key state and tables, shared by ruleset_runner.cc (events,
// timers) and ruleset_runner_snapshot.cc (checkpoints). Private to cep/.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/check.h"
#include "cep/base/time.h"
#include "cep/nfa/internal/byte_io.h"
#include "cep/nfa/nfa_matcher.h"
#include "cep/ruleset_runner.h"
#include "cep/window/firing_window_state.h"
#include "cep/window/last_window_state.h"

namespace cep {
namespace internal {

// A FIFO of times in a vector: pop_front moves a head index (std::deque
// allocates ~600 bytes even when empty, for every key).
class TimeQueue {
 public:
  bool empty() const { return head_ == times_.size(); }
  EventTime front() const { return times_[head_]; }
  EventTime back() const { return times_.back(); }
  void push_back(EventTime t) { times_.push_back(t); }
  void pop_front() {
    if (++head_ == times_.size()) {
      clear();
    } else if (head_ >= 16 && head_ * 2 >= times_.size()) {
      times_.erase(times_.begin(), times_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  size_t size() const { return times_.size() - head_; }
  EventTime operator[](size_t i) const { return times_[head_ + i]; }
  void clear() {
    times_.clear();
    head_ = 0;
  }

 private:
  std::vector<EventTime> times_;
  size_t head_ = 0;
};

}  // namespace internal

// The state of one rule for one key: the part every rule has; the rule's kind
// says which of the structs below it is (RuleRuntime::kind).
struct KeyState {
  EventTime suppressed_until = EventTime::Min();
  EventTime armed = EventTime::Max();  // the timer pending for this key, if any
  // The input partition of the key's latest event (Event::partition): the
  // partition whose checkpoint the key belongs to.
  int32_t partition = -1;
  // Checkpoints (ruleset_runner_snapshot.cc): equal to the runner's snapshot
  // epoch once the state was written to the snapshot in progress, or created
  // after it began; a state that differs is still owed to that snapshot.
  uint32_t snapshot_epoch = 0;
};

namespace internal {

struct PatternState : KeyState {
  explicit PatternState(std::shared_ptr<const NfaProgram> program) : nfa(std::move(program)) {}
  NfaMatcher nfa;
  // First + within of each partial started, in order. The NFA's timeouts are
  // due at these times; each becomes the key's timer in turn.
  TimeQueue deadlines;
};

struct LastState : KeyState {
  explicit LastState(const WindowSpec& spec) : last(spec) {}
  LastWindowState last;
};

struct FiringState : KeyState {
  explicit FiringState(const WindowSpec& spec) : firing(spec) {}
  FiringWindowState firing;
};

enum class StateKind : uint8_t { kPattern, kLast, kFiring };

inline PatternState& AsPattern(KeyState& state) { return static_cast<PatternState&>(state); }
inline LastState& AsLast(KeyState& state) { return static_cast<LastState&>(state); }
inline FiringState& AsFiring(KeyState& state) { return static_cast<FiringState&>(state); }
inline const PatternState& AsPattern(const KeyState& state) {
  return static_cast<const PatternState&>(state);
}
inline const LastState& AsLast(const KeyState& state) { return static_cast<const LastState&>(state); }
inline const FiringState& AsFiring(const KeyState& state) {
  return static_cast<const FiringState&>(state);
}

// An alert field's value (ruleset_runner.cc): strings copied, decimals as doubles,
// times and durations as integer milliseconds.
FieldValue ToFieldValue(const Value& v);

inline bool PatternIdle(const PatternState& s) {
  return s.nfa.partial_match_count() + s.nfa.held_match_count() == 0;
}

}  // namespace internal

// Interned keys of one `key` field list: key text <-> a dense id, and how many
// rules hold state under it; a key no rule holds is forgotten and its id reused.
// Open addressing with linear probing and backward-shift deletion.
class RulesetRunner::KeyTable {
 public:
  explicit KeyTable(std::vector<SlotIndex> slots) : slots_(std::move(slots)), index_(16) {}

  const std::vector<SlotIndex>& slots() const { return slots_; }
  const std::string& key(uint32_t id) const { return keys_[id]; }
  // Ids are below this.
  size_t id_limit() const { return keys_.size(); }

  // Starts loading the index slot where `key` would be, for a lookup soon after.
  void Prefetch(std::string_view key) const {
    const uint64_t hash = std::hash<std::string_view>{}(key);
    __builtin_prefetch(&index_[hash & (index_.size() - 1)]);
  }

  // The id of `key` when the table has it; never adds (RulesetRunner::Explain).
  std::optional<uint32_t> Find(std::string_view key) const {
    const uint64_t hash = std::hash<std::string_view>{}(key);
    const size_t mask = index_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = index_[i];
      if (slot.id == kEmpty) return std::nullopt;
      if (slot.hash == hash && keys_[slot.id] == key) return slot.id;
    }
  }

  // The id of `key`, added with no holders when new.
  uint32_t Intern(std::string_view key) {
    const uint64_t hash = std::hash<std::string_view>{}(key);
    const size_t mask = index_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = index_[i];
      if (slot.id == kEmpty) break;
      if (slot.hash == hash && keys_[slot.id] == key) return slot.id;
    }
    if ((size_ + 1) * 2 > index_.size()) Grow();
    uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      keys_[id].assign(key);
      hashes_[id] = hash;
      holders_[id] = 0;
    } else {
      CHECK(keys_.size() < kEmpty, "at most 2^32 - 1 live keys per key field list");
      id = static_cast<uint32_t>(keys_.size());
      keys_.emplace_back(key);
      hashes_.push_back(hash);
      holders_.push_back(0);
    }
    Place(hash, id);
    ++size_;
    return id;
  }

  void AddHolder(uint32_t id) { ++holders_[id]; }
  // Forgets the key when no rule holds it any more.
  void DropHolder(uint32_t id) {
    DCHECK(holders_[id] > 0, "a key dropped more often than held");
    if (--holders_[id] > 0) return;
    const size_t mask = index_.size() - 1;
    size_t i = hashes_[id] & mask;
    while (index_[i].id != id) i = (i + 1) & mask;
    // Backward shift: pull later entries of the probe run into the hole.
    for (size_t j = (i + 1) & mask; index_[j].id != kEmpty; j = (j + 1) & mask) {
      const size_t home = index_[j].hash & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = Slot();
    --size_;
    keys_[id].clear();
    keys_[id].shrink_to_fit();
    free_.push_back(id);
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };

  void Place(uint64_t hash, uint32_t id) {
    const size_t mask = index_.size() - 1;
    size_t i = hash & mask;
    while (index_[i].id != kEmpty) i = (i + 1) & mask;
    index_[i] = {hash, id};
  }
  void Grow() {
    std::vector<Slot> old(index_.size() * 2);
    old.swap(index_);
    for (const Slot& slot : old) {
      if (slot.id != kEmpty) Place(slot.hash, slot.id);
    }
  }

  std::vector<SlotIndex> slots_;
  std::vector<Slot> index_;  // a power of two, at most half full
  std::vector<std::string> keys_;  // by id; empty for a free id
  std::vector<uint64_t> hashes_;   // by id
  std::vector<uint32_t> holders_;  // by id: rules with state for the key
  std::vector<uint32_t> free_;
  size_t size_ = 0;
};

struct RulesetRunner::RuleRuntime {
  const Rule* rule = nullptr;
  internal::StateKind kind = internal::StateKind::kPattern;
  uint32_t table = 0;  // index into key_tables_
  std::vector<KeyState*> states;  // by key id; null: no state. Owned.
  size_t live = 0;

  RuleRuntime() = default;
  RuleRuntime(const RuleRuntime&) = delete;
  RuleRuntime& operator=(const RuleRuntime&) = delete;
  ~RuleRuntime() {
    for (KeyState* state : states) Delete(state);
  }
  void Delete(KeyState* state) const {
    if (state == nullptr) return;
    switch (kind) {
      case internal::StateKind::kPattern: delete &internal::AsPattern(*state); break;
      case internal::StateKind::kLast: delete &internal::AsLast(*state); break;
      case internal::StateKind::kFiring: delete &internal::AsFiring(*state); break;
    }
  }
};

struct RulesetRunner::Timer {
  EventTime when;
  uint32_t rule;
  uint32_t key;  // id in the rule's key table
  // std::push_heap builds a max-heap: invert for the earliest first.
  bool operator<(const Timer& other) const { return when > other.when; }
};


// A checkpoint being written (ruleset_runner_snapshot.cc); kept between
// snapshots so the buffer's capacity is reused.
struct RulesetRunner::SnapshotProgress {
  internal::ByteWriter writer;  // records not taken yet
  uint32_t rule = 0;            // ContinueSnapshot's cursor: rule index,
  uint32_t key = 0;             // and key id within the rule
  uint64_t keys = 0;            // key records written
  uint64_t continued = 0;       // of which by ContinueSnapshot (the rest: copy on write)
  SnapshotStats stats;          // of the snapshot in progress
  SnapshotStats last;           // of the last completed one
};

// A checkpoint being read (Restore .. FinishRestore).
struct RulesetRunner::RestoreProgress {
  uint64_t offset = 0;  // bytes read so far, for messages
  std::string carry;    // the start of a record the last piece cut
  bool header = false;
  bool end = false;
  uint64_t end_keys = 0;  // key records the end record announces
  uint64_t keys = 0;      // key records seen
  // Per rule of the snapshot: the rule of this program its keys go to, or
  // kSkip (gone or changed); and its kind.
  static constexpr uint32_t kSkip = UINT32_MAX;
  std::vector<uint32_t> rule_map;
  std::vector<internal::StateKind> kinds;
  std::vector<bool> restored_rules;  // by program rule: the snapshot had it unchanged
  // Restore(records, partitions): only keys and buffered events of these input
  // partitions; empty: all.
  std::vector<int32_t> partitions;
  bool Wanted(int32_t partition) const {
    return partitions.empty() ||
           std::find(partitions.begin(), partitions.end(), partition) != partitions.end();
  }
  RestoreStats stats;
};

}  // namespace cep
