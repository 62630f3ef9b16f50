#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/rest/auth.h"
#include "api/rest/http_message.h"

namespace api::rest {

// A route handler: reads the request (params and scope already set) and returns the
// response. It runs on a server io thread, so it may block only briefly: the server's
// thread count bounds how many handlers run at once. It should not throw; if it does,
// the Router answers 500 `internal` and logs what().
using Handler = std::function<HttpResponse(HttpRequest&)>;

// Maps (method, path) to a handler, after authenticating the caller.
//
// Patterns are literal segments and "{name}" segments: "/v1/rulesets/{name}/versions/{v}".
// A "{x}" segment matches one non-empty segment, percent-decoded (so "%2F" stays inside
// the parameter). When several patterns match, the one with a literal segment at the
// first place where they differ wins: "POST /v1/rulesets/validate" beats
// "POST /v1/rulesets/{name}". A trailing '/' and repeated '/' are ignored.
//
// Handle() decides in this order:
//  1. the route for (method, path) needs no scope (Scope::kNone: /healthz, /readyz)
//     -> the handler, whatever the Authorization header says;
//  2. no valid token -> 401 `unauthorized` with `WWW-Authenticate: Bearer`, whether or not
//     the route exists: an unauthenticated caller learns nothing about which routes exist;
//  3. no pattern matches the path -> 404 `not_found`;
//  4. the path matches but not the method -> 405 `method_not_allowed`, `Allow: GET, POST`;
//  5. the token lacks the route's scope -> 403 `forbidden`;
//  6. otherwise sets request.scope and request.params and calls the handler.
// A request whose path has a bad percent escape gets 400 `bad_request`.
//
// Threading: Add() before the Router is shared (the server takes a
// shared_ptr<const Router>); Handle() is const and safe to call from many threads.
class Router {
 public:
  explicit Router(TokenAuth auth);

  // `method` is upper case ("GET"). `required` is the scope the caller needs; kNone means
  // no authentication. Adding the same method and pattern shape twice is a bug (CHECK).
  void Add(std::string method, std::string pattern, Scope required, Handler handler);

  HttpResponse Handle(HttpRequest& request) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Scope required = Scope::kNone;
    Handler handler;
  };

  static bool Matches(const Route& route, const std::vector<std::string>& segments);
  // True when `a` should win over `b` (both match the same path).
  static bool MoreSpecific(const Route& a, const Route& b);
  static HttpResponse Call(const Route& route, HttpRequest& request);

  TokenAuth auth_;
  std::vector<Route> routes_;
};

}  // namespace api::rest
