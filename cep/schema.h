#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cep/base/result.h"
#include "cep/value.h"

namespace cep {

// Index of a field in an Event, fixed at compile time: rules read slots, never
// look fields up by name on the hot path.
using SlotIndex = uint16_t;
inline constexpr size_t kMaxFields = 1024;

struct FieldDef {
  std::string name;  // "amount", or "attrs.browser" for an attribute a rule reads
  Type type;
};

// The fields events of a ruleset have, in slot order. The built-in `transaction`
// schema has the fields of DSL.md; a compiled ruleset extends it with one string
// slot per `attrs.NAME` its rules read. Immutable once a Program holds it.
class Schema {
 public:
  Schema() = default;

  // DSL.md "Events": id, account_id, ..., ts, label, in the wire order of
  // api/proto/transaction.proto (attrs excluded: see Add).
  static Schema Transaction();

  // Appends a field; fails on a duplicate name or past kMaxFields.
  Result<SlotIndex> Add(std::string name, Type type);
  std::optional<SlotIndex> Find(std::string_view name) const;

  const FieldDef& field(SlotIndex slot) const { return fields_.at(slot); }
  const std::vector<FieldDef>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }

  // Slots of the fields every schema needs, if present: `ts` is event time and
  // `id` names events in alerts.
  std::optional<SlotIndex> ts_slot() const { return Find("ts"); }
  std::optional<SlotIndex> id_slot() const { return Find("id"); }

 private:
  std::vector<FieldDef> fields_;
};

}  // namespace cep
