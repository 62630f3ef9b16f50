#include "state/checkpoint_manifest.h"

#include <charconv>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>
#include <zlib.h>

namespace state {
namespace {

using Json = nlohmann::json;

constexpr int kFormatVersion = 1;

// The canonical form the checksum covers: the JSON object without "checksum",
// compact, keys sorted (nlohmann::json objects are std::maps), non-ASCII escaped.
std::string Canonical(const Json& object) {
  return object.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
}

uint32_t Crc32(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::string Hex8(uint32_t value) {
  char buffer[8];
  for (int i = 7; i >= 0; --i) {
    buffer[i] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  }
  return std::string(buffer, 8);
}

cep::Status Bad(std::string message) {
  return cep::DataLoss("checkpoint manifest: " + std::move(message));
}

cep::Result<const Json*> Field(const Json& object, std::string_view path, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) {
    return Bad("field '" + std::string(path) + key + "' is missing");
  }
  return &*it;
}

// An integer field that must fit T (no floats, no strings, no overflow).
template <typename T>
cep::Result<T> IntField(const Json& object, std::string_view path, const char* key) {
  ASSIGN_OR_RETURN(const Json* value, Field(object, path, key));
  const std::string where = "field '" + std::string(path) + key + "'";
  if (!value->is_number_integer()) {
    return Bad(where + " should be an integer, is " + value->type_name());
  }
  if (value->is_number_unsigned()) {
    const auto v = value->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return Bad(where + " is out of range: " + std::to_string(v));
    }
    return static_cast<T>(v);
  }
  const auto v = value->get<int64_t>();
  if constexpr (std::is_unsigned_v<T>) {
    if (v < 0) return Bad(where + " must not be negative: " + std::to_string(v));
  } else {
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        v > static_cast<int64_t>(std::numeric_limits<T>::max())) {
      return Bad(where + " is out of range: " + std::to_string(v));
    }
  }
  return static_cast<T>(v);
}

cep::Result<std::string> StringField(const Json& object, std::string_view path, const char* key) {
  ASSIGN_OR_RETURN(const Json* value, Field(object, path, key));
  if (!value->is_string()) {
    return Bad("field '" + std::string(path) + key + "' should be a string, is " +
               value->type_name());
  }
  return value->get<std::string>();
}

// Calls parse(element, "key[i].") for every element of the array field `key`.
template <typename T, typename Parse>
cep::Result<std::vector<T>> ArrayField(const Json& object, const char* key, Parse parse) {
  ASSIGN_OR_RETURN(const Json* value, Field(object, "", key));
  if (!value->is_array()) {
    return Bad("field '" + std::string(key) + "' should be an array, is " + value->type_name());
  }
  std::vector<T> out;
  out.reserve(value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    const std::string path = std::string(key) + "[" + std::to_string(i) + "].";
    const Json& element = (*value)[i];
    if (!element.is_object()) {
      return Bad("'" + path.substr(0, path.size() - 1) + "' should be an object, is " +
                 element.type_name());
    }
    ASSIGN_OR_RETURN(T parsed, parse(element, path));
    out.push_back(std::move(parsed));
  }
  return out;
}

cep::Result<SourceOffset> ParseOffset(const Json& j, const std::string& path) {
  SourceOffset offset;
  ASSIGN_OR_RETURN(offset.topic, StringField(j, path, "topic"));
  ASSIGN_OR_RETURN(offset.partition, IntField<int32_t>(j, path, "partition"));
  ASSIGN_OR_RETURN(offset.next_offset, IntField<int64_t>(j, path, "next_offset"));
  return offset;
}

cep::Result<RulesetEntry> ParseRuleset(const Json& j, const std::string& path) {
  RulesetEntry ruleset;
  ASSIGN_OR_RETURN(ruleset.name, StringField(j, path, "name"));
  ASSIGN_OR_RETURN(ruleset.version, IntField<uint32_t>(j, path, "version"));
  ASSIGN_OR_RETURN(ruleset.next_seq, IntField<uint64_t>(j, path, "next_seq"));
  return ruleset;
}

cep::Result<StateStream> ParseStream(const Json& j, const std::string& path) {
  StateStream stream;
  ASSIGN_OR_RETURN(stream.name, StringField(j, path, "name"));
  ASSIGN_OR_RETURN(stream.chunks, IntField<uint64_t>(j, path, "chunks"));
  ASSIGN_OR_RETURN(stream.bytes, IntField<uint64_t>(j, path, "bytes"));
  ASSIGN_OR_RETURN(stream.crc32, IntField<uint32_t>(j, path, "crc32"));
  return stream;
}

cep::Result<SinkPosition> ParseSink(const Json& j, const std::string& path) {
  SinkPosition sink;
  ASSIGN_OR_RETURN(sink.topic, StringField(j, path, "topic"));
  ASSIGN_OR_RETURN(sink.partition, IntField<int32_t>(j, path, "partition"));
  ASSIGN_OR_RETURN(sink.offset, IntField<int64_t>(j, path, "offset"));
  return sink;
}

// "crc32:xxxxxxxx" -> the value, checking the form.
cep::Result<uint32_t> ParseChecksum(const Json& object) {
  ASSIGN_OR_RETURN(std::string text, StringField(object, "", "checksum"));
  constexpr std::string_view kPrefix = "crc32:";
  uint32_t value = 0;
  if (text.size() != kPrefix.size() + 8 || !text.starts_with(kPrefix)) {
    return Bad("field 'checksum' should look like \"crc32:<8 hex digits>\", is \"" + text + "\"");
  }
  const char* begin = text.data() + kPrefix.size();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value, 16);
  if (ec != std::errc() || ptr != end) {
    return Bad("field 'checksum' should look like \"crc32:<8 hex digits>\", is \"" + text + "\"");
  }
  return value;
}

}  // namespace

uint64_t Manifest::state_bytes() const {
  uint64_t total = 0;
  for (const auto& stream : streams) total += stream.bytes;
  return total;
}

std::string SerializeManifest(const Manifest& manifest) {
  Json j = Json::object();
  j["format_version"] = kFormatVersion;
  j["id"] = manifest.id;
  j["created_ms"] = manifest.created_ms;
  j["watermark_ms"] = manifest.watermark_ms;
  j["offsets"] = Json::array();
  for (const auto& o : manifest.offsets) {
    j["offsets"].push_back(
        {{"topic", o.topic}, {"partition", o.partition}, {"next_offset", o.next_offset}});
  }
  j["rulesets"] = Json::array();
  for (const auto& r : manifest.rulesets) {
    j["rulesets"].push_back({{"name", r.name}, {"version", r.version}, {"next_seq", r.next_seq}});
  }
  j["streams"] = Json::array();
  for (const auto& s : manifest.streams) {
    j["streams"].push_back(
        {{"name", s.name}, {"chunks", s.chunks}, {"bytes", s.bytes}, {"crc32", s.crc32}});
  }
  j["sink"] = Json::array();
  for (const auto& s : manifest.sink) {
    j["sink"].push_back({{"topic", s.topic}, {"partition", s.partition}, {"offset", s.offset}});
  }
  j["checksum"] = "crc32:" + Hex8(Crc32(Canonical(j)));
  // Indented for people; the checksum does not depend on the layout.
  return j.dump(2, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace) + "\n";
}

cep::Result<Manifest> ParseManifest(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Bad("not valid JSON (" + std::to_string(text.size()) + " bytes; truncated?)");
  }
  if (!j.is_object()) return Bad(std::string("should be a JSON object, is ") + j.type_name());

  // The version first: another version may checksum differently.
  ASSIGN_OR_RETURN(const int version, IntField<int>(j, "", "format_version"));
  if (version != kFormatVersion) {
    return Bad("unknown format_version " + std::to_string(version) + " (this build reads " +
               std::to_string(kFormatVersion) + ")");
  }
  ASSIGN_OR_RETURN(const uint32_t expected, ParseChecksum(j));
  j.erase("checksum");
  const uint32_t actual = Crc32(Canonical(j));
  if (actual != expected) {
    return Bad("checksum mismatch: the manifest says crc32:" + Hex8(expected) +
               ", its content has crc32:" + Hex8(actual));
  }

  Manifest manifest;
  ASSIGN_OR_RETURN(manifest.id, IntField<uint64_t>(j, "", "id"));
  ASSIGN_OR_RETURN(manifest.created_ms, IntField<int64_t>(j, "", "created_ms"));
  ASSIGN_OR_RETURN(manifest.watermark_ms, IntField<int64_t>(j, "", "watermark_ms"));
  ASSIGN_OR_RETURN(manifest.offsets, ArrayField<SourceOffset>(j, "offsets", ParseOffset));
  ASSIGN_OR_RETURN(manifest.rulesets, ArrayField<RulesetEntry>(j, "rulesets", ParseRuleset));
  ASSIGN_OR_RETURN(manifest.streams, ArrayField<StateStream>(j, "streams", ParseStream));
  ASSIGN_OR_RETURN(manifest.sink, ArrayField<SinkPosition>(j, "sink", ParseSink));
  return manifest;
}

}  // namespace state
