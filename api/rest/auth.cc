#include "api/rest/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cep/base/check.h"

namespace api::rest {
namespace {

std::array<uint8_t, 32> Sha256(std::string_view data) {
  std::array<uint8_t, 32> digest{};
  unsigned int size = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  CHECK(ok == 1 && size == digest.size(), "EVP_Digest(SHA-256) failed");
  return digest;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The token of "Bearer TOKEN" (scheme case-insensitive, RFC 6750 token68); "" otherwise.
std::string_view BearerToken(std::string_view header) {
  while (!header.empty() && IsBlank(header.front())) header.remove_prefix(1);
  while (!header.empty() && IsBlank(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !IsBlank(header[kScheme.size()])) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = header[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i]) return {};
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && IsBlank(token.front())) token.remove_prefix(1);
  for (char c : token) {
    if (IsBlank(c)) return {};  // "Bearer a b" is malformed
  }
  return token;
}

}  // namespace

TokenAuth::TokenAuth(const std::map<std::string, Scope>& tokens) {
  for (const auto& [token, scope] : tokens) {
    if (token.empty() || scope == Scope::kNone) continue;
    digests_.push_back({Sha256(token), scope});
  }
}

Scope TokenAuth::Check(std::string_view authorization_header) const {
  const std::string_view token = BearerToken(authorization_header);
  if (token.empty()) return Scope::kNone;
  // Comparing fixed-size digests makes the work independent of the token's length and
  // content; every entry is compared and the result combined without branching on it.
  const std::array<uint8_t, 32> digest = Sha256(token);
  uint8_t scope = 0;
  for (const Entry& entry : digests_) {
    const int differs = CRYPTO_memcmp(digest.data(), entry.digest.data(), digest.size()) != 0;
    const auto mask = static_cast<uint8_t>(differs - 1);  // 0xff on a match, 0 otherwise
    scope = static_cast<uint8_t>(scope | (mask & static_cast<uint8_t>(entry.scope)));
  }
  // Tokens are unique (map keys), so at most one entry matched.
  return static_cast<Scope>(scope);
}

std::string TokenAuth::GenerateToken() {
  std::array<unsigned char, 32> bytes{};
  CHECK(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1,
        "RAND_bytes failed: no entropy for a token");
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3f]);
  return out;
}

}  // namespace api::rest
