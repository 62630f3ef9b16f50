#include "cep/window/internal/byte_codec.h"

#include <string>

namespace cep::internal {
namespace {

constexpr char kMagic[2] = {'W', 'S'};
constexpr uint8_t kVersion = 1;

// FNV-1a, 32 bits: catches torn and bit-flipped snapshots; not a defence against
// deliberate tampering (checkpoint storage is trusted).
uint32_t Checksum(std::string_view bytes) {
  uint32_t hash = 2166136261u;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace

void ByteWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void ByteWriter::Fixed64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void ByteWriter::Bytes(std::string_view bytes) {
  Varint(bytes.size());
  out_.append(bytes);
}

void ByteWriter::Payload(Type type, uint64_t payload) {
  if (type == Type::kFloat) {
    Fixed64(payload);
  } else {
    Signed(static_cast<int64_t>(payload));
  }
}

void ByteWriter::Header(const WindowSpec& spec) {
  out_.append(kMagic, sizeof(kMagic));
  U8(kVersion);
  U8(static_cast<uint8_t>(spec.kind()));
  Varint(static_cast<uint64_t>(spec.size().millis()));
  Varint(static_cast<uint64_t>(spec.slide().millis()));
  Varint(spec.aggregate_count());
  for (const AggregateSpec& aggregate : spec.aggregates()) {
    U8(static_cast<uint8_t>(aggregate.function));
    U8(static_cast<uint8_t>(aggregate.value_type));
    U8(aggregate.has_filter ? 1 : 0);
  }
}

void ByteWriter::Finish() {
  const uint32_t sum = Checksum(out_);
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
}

Result<ByteReader> ByteReader::Open(std::string_view bytes, const WindowSpec& spec) {
  if (bytes.size() < 4) return DataLoss("window snapshot: truncated");
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  uint32_t stored = 0;
  for (size_t i = 0; i < 4; ++i) {
    stored |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[body.size() + i])) << (8 * i);
  }
  if (stored != Checksum(body)) return DataLoss("window snapshot: checksum mismatch");
  ByteReader reader(body);
  RETURN_IF_ERROR(reader.CheckHeader(spec));
  return reader;
}

Status ByteReader::Corrupt(std::string_view what) const {
  return DataLoss("window snapshot: " + std::string(what) + " at byte " + std::to_string(pos_));
}

Result<uint8_t> ByteReader::U8() {
  if (pos_ >= body_.size()) return Corrupt("truncated");
  return static_cast<uint8_t>(body_[pos_++]);
}

Result<uint64_t> ByteReader::Varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    ASSIGN_OR_RETURN(const uint8_t byte, U8());
    if (shift == 63 && byte > 1) return Corrupt("varint overflows 64 bits");
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return Corrupt("varint too long");
}

Result<int64_t> ByteReader::Signed() {
  ASSIGN_OR_RETURN(const uint64_t zigzag, Varint());
  return static_cast<int64_t>((zigzag >> 1) ^ (0 - (zigzag & 1)));
}

Result<uint64_t> ByteReader::Fixed64() {
  if (body_.size() - pos_ < 8) return Corrupt("truncated");
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(body_[pos_ + i])) << (8 * i);
  }
  pos_ += 8;
  return value;
}

Result<std::string_view> ByteReader::Bytes() {
  ASSIGN_OR_RETURN(const uint64_t size, Varint());
  if (size > body_.size() - pos_) return Corrupt("string runs past the end");
  const std::string_view bytes = body_.substr(pos_, size);
  pos_ += size;
  return bytes;
}

Result<uint64_t> ByteReader::Payload(Type type) {
  if (type == Type::kFloat) return Fixed64();
  ASSIGN_OR_RETURN(const int64_t value, Signed());
  return static_cast<uint64_t>(value);
}

Result<uint64_t> ByteReader::Count() {
  ASSIGN_OR_RETURN(const uint64_t count, Varint());
  if (count > body_.size() - pos_) return Corrupt("count larger than the snapshot");
  return count;
}

Status ByteReader::CheckHeader(const WindowSpec& spec) {
  if (body_.size() < 2 || body_[0] != kMagic[0] || body_[1] != kMagic[1]) {
    return DataLoss("window snapshot: bad magic");
  }
  pos_ = 2;
  ASSIGN_OR_RETURN(const uint8_t version, U8());
  if (version != kVersion) {
    return DataLoss("window snapshot: unsupported version " + std::to_string(version));
  }
  ASSIGN_OR_RETURN(const uint8_t kind, U8());
  ASSIGN_OR_RETURN(const uint64_t size, Varint());
  ASSIGN_OR_RETURN(const uint64_t slide, Varint());
  ASSIGN_OR_RETURN(const uint64_t count, Varint());
  bool same = kind == static_cast<uint8_t>(spec.kind()) &&
              size == static_cast<uint64_t>(spec.size().millis()) &&
              slide == static_cast<uint64_t>(spec.slide().millis()) &&
              count == spec.aggregate_count();
  for (size_t i = 0; same && i < count; ++i) {
    const AggregateSpec& aggregate = spec.aggregates()[i];
    ASSIGN_OR_RETURN(const uint8_t function, U8());
    ASSIGN_OR_RETURN(const uint8_t type, U8());
    ASSIGN_OR_RETURN(const uint8_t has_filter, U8());
    same = function == static_cast<uint8_t>(aggregate.function) &&
           type == static_cast<uint8_t>(aggregate.value_type) &&
           has_filter == (aggregate.has_filter ? 1 : 0);
  }
  if (!same) return InvalidArgument("window snapshot: written for another window spec");
  return Status::Ok();
}

}  // namespace cep::internal
