#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/schema.h"
#include "rules/compiler.h"

namespace engine {

// How decoded events are finished for a compiled ruleset.
struct AssemblerOptions {
  // The field that names events in alerts (`cep replay --id-field`).
  std::string id_field = "id";
  // Fields to scan once per event; their match bits go to hidden slots
  // (rules/compiler.h) so that every rule's `~` reads them.
  std::vector<rules::FieldRegexes> regexes;
};

// Builds one Event from decoded field values, minding the two slots with a
// meaning of their own: `ts` is the event time (required: an event without it
// cannot be placed in time) and the id field names the event in alerts
// (default: its 0-based input position, INTERFACES.md "Alerts"); and scanning
// the ruleset's regex fields before the event is sealed. Shared by every
// decoder. Threading: one owner; reusable, one event at a time.
class EventAssembler {
 public:
  explicit EventAssembler(std::shared_ptr<const cep::Schema> schema,
                          AssemblerOptions options = {});
  ~EventAssembler();
  EventAssembler(EventAssembler&&) noexcept;
  EventAssembler& operator=(EventAssembler&&) noexcept;

  const cep::Schema& schema() const { return *schema_; }
  // Sets a slot; strings are copied, so `value` may borrow a temporary.
  void Set(cep::SlotIndex slot, const cep::Value& value);
  // The event, numbered `seq` (its input position). Fails when `ts` is missing;
  // either way the assembler is ready for the next event.
  cep::Result<cep::Event> Finish(uint64_t seq);

 private:
  void ScanRegexes();

  std::shared_ptr<const cep::Schema> schema_;
  AssemblerOptions options_;
  std::vector<std::unique_ptr<rules::RegexSet::Scratch>> scratch_;  // one per regex field
  std::optional<cep::SlotIndex> ts_slot_;
  std::optional<cep::SlotIndex> id_slot_;
  cep::EventBuilder builder_;
  bool has_ts_ = false;
  bool has_id_ = false;
};

}  // namespace engine
