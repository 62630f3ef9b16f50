#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "api/proto/transaction.pb.h"
#include "cep/base/result.h"
#include "cep/event.h"
#include "cep/schema.h"
#include "engine/decode/event_assembler.h"

namespace engine {

// Turns wire Transactions (Kafka records, `--format protobuf` files) into Events
// of a schema that extends the built-in `transaction` schema (cep::Schema::
// Transaction() plus `attrs.NAME` slots). Absent fields stay null. Slots are
// resolved once, at construction. Threading: one owner.
class TransactionEventDecoder {
 public:
  explicit TransactionEventDecoder(std::shared_ptr<const cep::Schema> schema,
                                   AssemblerOptions options = {});

  // Fails only when the transaction has no `ts`.
  cep::Result<cep::Event> Decode(const cep::v1::Transaction& transaction, uint64_t seq);
  // Parses the bytes first; undecodable bytes are an InvalidArgument error.
  cep::Result<cep::Event> DecodeBytes(std::string_view bytes, uint64_t seq);

 private:
  std::optional<cep::SlotIndex> Slot(std::string_view name) const { return schema().Find(name); }
  const cep::Schema& schema() const { return assembler_.schema(); }

  EventAssembler assembler_;
  cep::v1::Transaction scratch_;
};

}  // namespace engine
