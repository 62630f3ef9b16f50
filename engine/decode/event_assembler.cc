#include "engine/decode/event_assembler.h"

#include <string>

namespace engine {

EventAssembler::EventAssembler(std::shared_ptr<const cep::Schema> schema)
    : schema_(std::move(schema)),
      ts_slot_(schema_->ts_slot()),
      id_slot_(schema_->id_slot()),
      builder_(schema_->size()) {}

void EventAssembler::Set(cep::SlotIndex slot, const cep::Value& value) {
  builder_.Set(slot, value);
  if (slot == ts_slot_ && value.type() == cep::Type::kTime) {
    builder_.SetTs(value.time_value());
    has_ts_ = true;
  } else if (slot == id_slot_ && value.type() == cep::Type::kString) {
    builder_.SetId(value.string_value());
    has_id_ = true;
  }
}

cep::Result<cep::Event> EventAssembler::Finish(uint64_t seq) {
  if (!has_id_) builder_.SetId(std::to_string(seq));
  builder_.SetSeq(seq);
  const bool complete = has_ts_;
  has_ts_ = has_id_ = false;
  cep::Event event = builder_.Build();  // also resets the builder
  if (!complete) return cep::InvalidArgument("missing 'ts': every event needs an event time");
  return event;
}

}  // namespace engine
