#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cep/base/status.h"

namespace api::rest {

// What a bearer token may do. kAdmin includes kRead; kNone is "no valid token".
// Ordered so that `granted >= required` is the access check.
enum class Scope : uint8_t { kNone, kRead, kAdmin };

std::string_view ScopeName(Scope scope);  // "none", "read", "admin"

// One HTTP request as a route handler sees it: a plain value, no Beast types.
// The server fills every field but `params` and `scope`, which the Router sets.
// Tests build it by hand, using SetTarget() for target/path/query.
struct HttpRequest {
  std::string method;                          // "GET", "POST", ... (as received, upper case)
  std::string target;                          // as received: path + query
  std::string path;                            // percent-decoded path, no query
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> params;   // path parameters filled by the Router ("{name}")
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  std::string remote;         // peer "ip:port"
  Scope scope = Scope::kNone;  // set by the Router after auth

  // The first header with this (lower-case) name; "" when absent.
  std::string_view header(std::string_view lower_name) const;
  // The media type of Content-Type, lower-cased, without parameters and spaces:
  // "application/json" for "Application/JSON; charset=utf-8"; "" when absent.
  std::string_view content_type() const;

 private:
  mutable std::string content_type_lower_;  // backing store when the header is not lower case
};

// Sets request.target and, from it, request.path (percent-decoded) and request.query
// ("a=1&b=x%20y", '+' is a space in query values). InvalidArgument on a target that
// does not start with '/' or has a bad percent escape; the request is then unchanged.
cep::Status SetTarget(HttpRequest& request, std::string_view target);

// Splits a raw (not yet decoded) path into its segments and decodes each one, so an
// encoded '/' ("%2F") stays inside its segment. "/a/b%2Fc/" -> {"a", "b/c"}: empty
// segments are dropped. False on a bad percent escape.
bool SplitPath(std::string_view raw_path, std::vector<std::string>& segments);

// One response as a handler returns it. The server adds Content-Length, Server and
// Connection; `headers` are extra headers (e.g. Allow, WWW-Authenticate, Location).
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  // The first extra header with this name (case-insensitive); "" when absent.
  std::string_view header(std::string_view name) const;
};

// {"error": {"code": code, "message": message, "details": details}} (INTERFACES.md REST).
// `code` is a stable snake_case word ("not_found"); `details` defaults to [].
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message,
                           const nlohmann::json& details);
HttpResponse JsonResponse(int status, const nlohmann::json& body);
HttpResponse TextResponse(int status, std::string body,
                          std::string content_type = "text/plain; charset=utf-8");

}  // namespace api::rest
