#pragma once

#include <memory>

#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/nfa/internal/byte_io.h"
#include "cep/value.h"

namespace cep::internal {

// Values and events in the fixed-width snapshot encoding (cep/nfa/README.md,
// "Snapshot format"), shared by NfaMatcher snapshots and RulesetRunner
// checkpoints (cep/README.md). An event keeps its ts, seq, id and every field.
void PutValue(ByteWriter& w, const Value& v);
Result<Value> GetValue(ByteReader& r);
void PutEvent(ByteWriter& w, const Event& e);
// kDataLoss on a truncated event, an unknown value type or too many fields.
Result<std::shared_ptr<const Event>> GetEvent(ByteReader& r);

}  // namespace cep::internal
