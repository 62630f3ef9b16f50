#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cep/base/result.h"
#include "cep/event.h"
#include "engine/decode/json_event_decoder.h"
#include "engine/decode/transaction_event_decoder.h"
#include "rules/compiler.h"

namespace engine {

// Turns the value of one Kafka record into an Event of a ruleset's schema: a
// protobuf `cep.v1.Transaction` or one JSON object. Anything else is an error
// with a reason fit for the dead-letter header: bytes that do not parse, wrong
// field types, no `ts`, a `_watermark` record (Kafka input carries events
// only: watermarks come from the partitions), or a record over the size limit.
//
// Threading: one owner (the source thread).
class RecordDecoder {
 public:
  enum class Format { kProtobuf, kJson };
  static constexpr size_t kDefaultMaxRecordBytes = 64 * 1024;

  RecordDecoder(const rules::CompiledRuleset& ruleset, Format format, const std::string& id_field,
                size_t max_record_bytes = kDefaultMaxRecordBytes);

  cep::Result<cep::Event> Decode(std::string_view value, uint64_t seq);
  size_t max_record_bytes() const { return max_record_bytes_; }

 private:
  Format format_;
  size_t max_record_bytes_;
  std::unique_ptr<TransactionEventDecoder> protobuf_;
  std::unique_ptr<JsonEventDecoder> json_;
};

cep::Result<RecordDecoder::Format> ParseRecordFormat(std::string_view name);

}  // namespace engine
