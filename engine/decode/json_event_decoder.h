#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/schema.h"
#include "engine/decode/event_assembler.h"

namespace engine {

// One line of JSONL input: an event, or an explicit watermark
// (`{"_watermark": T}`, INTERFACES.md "Replay").
struct JsonRecord {
  std::optional<cep::Event> event;
  std::optional<cep::EventTime> watermark;
};

// Decodes JSON objects into Events of a schema, reading each field as its
// slot's type: `ts` as integer milliseconds or ISO-8601, decimals exactly from
// numbers or strings, string fields from strings or integers, `attrs` (and any
// other top-level scalar) into the schema's `attrs.NAME` slots where a rule reads
// them. Fields the schema has no slot for are ignored. Every error names the
// field. The event's id is its `id` field, or else its 0-based input position.
// Threading: one owner (it reuses an EventBuilder).
class JsonEventDecoder {
 public:
  explicit JsonEventDecoder(std::shared_ptr<const cep::Schema> schema,
                            AssemblerOptions options = {});

  // `seq` is the event's arrival order, also its position for a default id.
  cep::Result<JsonRecord> Decode(std::string_view json, uint64_t seq);

 private:
  EventAssembler assembler_;
};

}  // namespace engine
