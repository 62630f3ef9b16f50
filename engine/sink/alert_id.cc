#include "engine/sink/alert_id.h"

#include <openssl/evp.h>

#include <cstdint>
#include <tuple>

#include "cep/base/check.h"

namespace engine {
namespace {

// Appends a length-prefixed field, so ("ab","c") and ("a","bc") differ.
void AppendField(std::string& out, std::string_view field) {
  const auto size = static_cast<uint32_t>(field.size());
  out.append(reinterpret_cast<const char*>(&size), sizeof size);
  out.append(field);
}

}  // namespace

std::string ComputeAlertId(const cep::v1::Alert& alert) {
  std::string input;
  AppendField(input, alert.ruleset());
  AppendField(input, std::to_string(alert.version()));
  AppendField(input, alert.rule());
  AppendField(input, alert.key());
  AppendField(input, std::to_string(alert.kind()));
  AppendField(input, std::to_string(alert.ts_ms()));
  for (const auto& stage : alert.stages()) {
    AppendField(input, stage.name());
    AppendField(input, std::to_string(stage.event_ids_size()));
    for (const std::string& id : stage.event_ids()) AppendField(input, id);
  }
  if (alert.has_event()) AppendField(input, alert.event());

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  CHECK(EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha256(), nullptr) == 1,
        "SHA-256 of an alert");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned i = 0; i < 16; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0xf];
  }
  return id;
}

bool AlertOrderLess(const cep::v1::Alert& a, const cep::v1::Alert& b) {
  if (a.ts_ms() != b.ts_ms()) return a.ts_ms() < b.ts_ms();
  return std::tie(a.rule(), a.key(), a.alert_id()) < std::tie(b.rule(), b.key(), b.alert_id());
}

}  // namespace engine
