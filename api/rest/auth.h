#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/rest/http_message.h"

namespace api::rest {

// Bearer-token authentication: maps the Authorization header to a Scope.
//
// Only SHA-256 digests of the tokens are kept. Check() hashes the presented token and
// compares it with every configured digest in constant time, without an early exit, so
// neither the position of a match nor the length of a token shows in the timing.
//
// Threading: immutable after construction; safe to share between threads.
class TokenAuth {
 public:
  TokenAuth() = default;  // no tokens: every Check() is kNone
  // token -> scope. Empty tokens and tokens with kNone are ignored.
  explicit TokenAuth(const std::map<std::string, Scope>& tokens);

  // The scope of the token in an "Authorization: Bearer TOKEN" header value. The scheme
  // is case-insensitive; kNone when the header is missing, malformed, another scheme or
  // carries an unknown token.
  Scope Check(std::string_view authorization_header) const;

  bool empty() const { return digests_.empty(); }

  // A fresh random token: 32 bytes from OpenSSL's RAND_bytes, base64url without
  // padding (43 characters). CHECK-fails if the RNG fails.
  static std::string GenerateToken();

 private:
  struct Entry {
    std::array<uint8_t, 32> digest;
    Scope scope;
  };
  std::vector<Entry> digests_;
};

}  // namespace api::rest
