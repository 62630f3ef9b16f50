#include "engine/service/record_decoder.h"

namespace engine {

RecordDecoder::RecordDecoder(const rules::CompiledRuleset& ruleset, Format format,
                             const std::string& id_field, size_t max_record_bytes)
    : format_(format), max_record_bytes_(max_record_bytes) {
  AssemblerOptions options{id_field, ruleset.regexes};
  if (format == Format::kProtobuf) {
    protobuf_ = std::make_unique<TransactionEventDecoder>(ruleset.program->schema, options);
  } else {
    json_ = std::make_unique<JsonEventDecoder>(ruleset.program->schema, options);
  }
}

cep::Result<cep::Event> RecordDecoder::Decode(std::string_view value, uint64_t seq) {
  if (value.size() > max_record_bytes_) {
    return cep::Unexpected(cep::InvalidArgument(
        "record of " + std::to_string(value.size()) + " bytes exceeds the limit of " +
        std::to_string(max_record_bytes_) + " bytes"));
  }
  if (value.empty()) return cep::Unexpected(cep::InvalidArgument("empty record"));
  if (format_ == Format::kProtobuf) return protobuf_->DecodeBytes(value, seq);
  auto record = json_->Decode(value, seq);
  if (!record) return cep::Unexpected(record.error());
  if (!record->event) {
    return cep::Unexpected(cep::InvalidArgument(
        "a _watermark record: watermarks come from the partitions, not from records"));
  }
  return std::move(*record->event);
}

cep::Result<RecordDecoder::Format> ParseRecordFormat(std::string_view name) {
  if (name == "protobuf") return RecordDecoder::Format::kProtobuf;
  if (name == "json") return RecordDecoder::Format::kJson;
  return cep::Unexpected(
      cep::InvalidArgument("unknown record format '" + std::string(name) + "' (protobuf or json)"));
}

}  // namespace engine
