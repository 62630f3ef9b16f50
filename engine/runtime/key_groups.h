#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cep/event.h"
#include "cep/program.h"

namespace engine {

// The rules of a ruleset that share one `key` field list, as a Program of their
// own. The router sends an event once per key group, to the slot that owns the
// event's key in that group: rules keyed by account and rules keyed by device
// see the same event on (possibly) different slots, each slot owning its keys
// outright. A `key none` rule is a group whose single key lives on slot 0.
struct KeyGroup {
  std::vector<cep::SlotIndex> key_slots;
  std::shared_ptr<const cep::Program> program;  // the group's rules, in ruleset order
  std::vector<uint32_t> rule_index;             // group rule i = ruleset rule rule_index[i]
};

// Splits a ruleset by key field list, groups in order of first appearance.
std::vector<KeyGroup> SplitByKey(const cep::Program& program);

// The slot owning an event's key in a group: a hash of the key fields' values
// (FNV-1a and a fixed mix: stable across builds and machines, which
// checkpoints rely on: a restored key must land on the slot that saved it), or slot 0 when the
// group is unkeyed or a key field is null (the runner there counts it unkeyed).
uint32_t SlotOf(const KeyGroup& group, const cep::Event& event, uint32_t slots);

}  // namespace engine
