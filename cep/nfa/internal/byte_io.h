#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cep::internal {

// Little-endian fixed-width writer/reader for matcher snapshots
// (cep/nfa/README.md). The reader never reads past the end: a short read sets
// `failed` and yields zeros, so a decoder checks once at the end of a section.
// Threading: one owner.
class ByteWriter {
 public:
  template <typename T>
  void Put(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void PutString(std::string_view s) {
    Put(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <typename T>
  T Get() {
    T value{};
    if (in_.size() < sizeof(T)) {
      failed_ = true;
      in_ = {};
      return value;
    }
    std::memcpy(&value, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return value;
  }
  std::string_view GetString() {
    const uint32_t size = Get<uint32_t>();
    if (in_.size() < size) {
      failed_ = true;
      in_ = {};
      return {};
    }
    std::string_view s = in_.substr(0, size);
    in_.remove_prefix(size);
    return s;
  }
  bool failed() const { return failed_; }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
  bool failed_ = false;
};

// FNV-1a, 64 bit: catches flipped bytes in a snapshot before we trust its indices.
inline uint64_t Fnv1a(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace cep::internal
