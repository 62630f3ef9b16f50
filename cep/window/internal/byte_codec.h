#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cep/base/result.h"
#include "cep/window/window_spec.h"

// The primitives of the window snapshot format (cep/window/README.md, "Snapshot
// format"): LEB128 varints, zigzag for signed values, fixed little-endian words, and a
// header naming the spec the bytes belong to. Private to cep/window/.
namespace cep::internal {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Varint(uint64_t v);
  void Signed(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Fixed64(uint64_t v);
  void Bytes(std::string_view bytes);  // length-prefixed
  // A payload of `type`: fixed 8 bytes for floats, a zigzag varint otherwise.
  void Payload(Type type, uint64_t payload);

  // Magic, version, window kind, durations and aggregates: restore refuses bytes
  // written for another spec.
  void Header(const WindowSpec& spec);
  // Appends the checksum of everything written so far; the last call.
  void Finish();

 private:
  std::string& out_;
};

// Reads what ByteWriter wrote. Every read checks bounds: truncated or corrupt bytes
// give DataLoss, never a crash.
class ByteReader {
 public:
  // Checks the trailing checksum and the header against `spec`.
  static Result<ByteReader> Open(std::string_view bytes, const WindowSpec& spec);

  Result<uint8_t> U8();
  Result<uint64_t> Varint();
  Result<int64_t> Signed();
  Result<uint64_t> Fixed64();
  Result<std::string_view> Bytes();
  Result<uint64_t> Payload(Type type);
  // A count of items that each take at least one byte: larger than what is left means
  // corruption, and checking it first keeps a bad count from reserving gigabytes.
  Result<uint64_t> Count();

  bool at_end() const { return pos_ == body_.size(); }
  Status Corrupt(std::string_view what) const;

 private:
  explicit ByteReader(std::string_view body) : body_(body) {}
  Status CheckHeader(const WindowSpec& spec);

  std::string_view body_;
  size_t pos_ = 0;
};

}  // namespace cep::internal
