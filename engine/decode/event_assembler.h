#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/schema.h"

namespace engine {

// Builds one Event from decoded field values, minding the two slots with a
// meaning of their own: `ts` is the event time (required: an event without it
// cannot be placed in time) and `id` names the event in alerts (default: its
// 0-based input position, INTERFACES.md "Alerts"). Shared by every decoder.
// Threading: one owner; reusable, one event at a time.
class EventAssembler {
 public:
  explicit EventAssembler(std::shared_ptr<const cep::Schema> schema);

  const cep::Schema& schema() const { return *schema_; }
  // Sets a slot; strings are copied, so `value` may borrow a temporary.
  void Set(cep::SlotIndex slot, const cep::Value& value);
  // The event, numbered `seq` (its input position). Fails when `ts` is missing;
  // either way the assembler is ready for the next event.
  cep::Result<cep::Event> Finish(uint64_t seq);

 private:
  std::shared_ptr<const cep::Schema> schema_;
  std::optional<cep::SlotIndex> ts_slot_;
  std::optional<cep::SlotIndex> id_slot_;
  cep::EventBuilder builder_;
  bool has_ts_ = false;
  bool has_id_ = false;
};

}  // namespace engine
