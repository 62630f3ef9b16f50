#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rest/http_message.h"
#include "cep/base/result.h"

namespace api::rest {

struct HttpClientOptions {
  std::string base_url = "http://127.0.0.1:8080";  // http:// or https://, optional path prefix
  std::string token;                               // sent as Authorization: Bearer
  std::chrono::milliseconds timeout{30'000};       // the whole call: connect to last byte
  std::string ca_file;  // https: verify against this CA/cert file (else the system's CAs)
  bool insecure = false;  // https: skip verification (self-signed dev certs)
};

// A small synchronous HTTP/1.1 client for the `cep rulesets` commands and tests.
//
// Threading: Call() is const and keeps no state between calls, so one client may be
// used from several threads at once; each call runs its own io_context on the caller.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);

  // One request on a fresh connection (Connection: close). `target` is path + query,
  // appended to the base URL's path. `content_type` is sent when `body` is not empty.
  // Transport failures (bad URL, refused, TLS verification, timeout, truncated response)
  // are Unavailable with what failed; any HTTP status is a response. The response's
  // `headers` hold every header received, names lower-cased.
  cep::Result<HttpResponse> Call(
      std::string_view method, std::string_view target, std::string body = {},
      std::string_view content_type = "application/json",
      std::vector<std::pair<std::string, std::string>> extra_headers = {}) const;

 private:
  HttpClientOptions options_;
};

}  // namespace api::rest
