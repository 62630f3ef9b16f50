#include "api/rest/router.h"

#include <exception>
#include <set>

#include <spdlog/spdlog.h>

#include "cep/base/check.h"

namespace api::rest {

Router::Router(TokenAuth auth) : auth_(std::move(auth)) {}

void Router::Add(std::string method, std::string pattern, Scope required, Handler handler) {
  CHECK(!pattern.empty() && pattern.front() == '/', "route pattern must start with '/'");
  CHECK(handler != nullptr, "route needs a handler");
  Route route{std::move(method), std::move(pattern), {}, required, std::move(handler)};
  std::string_view rest = route.pattern;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view text = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (text.empty()) continue;
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
      route.segments.push_back({std::string(text.substr(1, text.size() - 2)), true});
    } else {
      CHECK(text.find_first_of("{}") == std::string_view::npos, "bad route pattern segment");
      route.segments.push_back({std::string(text), false});
    }
  }
  for (const Route& other : routes_) {
    if (other.method != route.method || other.segments.size() != route.segments.size()) continue;
    bool same_shape = true;
    for (size_t i = 0; i < route.segments.size() && same_shape; ++i) {
      const Segment& a = route.segments[i];
      const Segment& b = other.segments[i];
      same_shape = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    CHECK(!same_shape, "route added twice");
  }
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = route.segments[i];
    if (segment.is_param ? segments[i].empty() : segment.text != segments[i]) return false;
  }
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

HttpResponse Router::Call(const Route& route, HttpRequest& request) {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    spdlog::error("REST handler for {} {} threw: {}", request.method, route.pattern, e.what());
  } catch (...) {
    spdlog::error("REST handler for {} {} threw a non-std exception", request.method,
                  route.pattern);
  }
  return ErrorResponse(500, "internal", "internal error; see the server log");
}

HttpResponse Router::Handle(HttpRequest& request) const {
  // Match on the raw path, decoding per segment, so "%2F" stays inside a parameter.
  const std::string_view target = request.target.empty() ? request.path : request.target;
  std::vector<std::string> segments;
  if (!SplitPath(target.substr(0, target.find('?')), segments)) {
    return ErrorResponse(400, "bad_request", "bad percent escape in the request path");
  }
  const Route* best = nullptr;  // matches path and method
  std::set<std::string> allowed;  // methods whose pattern matches the path
  for (const Route& route : routes_) {
    if (!Matches(route, segments)) continue;
    allowed.insert(route.method);
    if (route.method == request.method && (best == nullptr || MoreSpecific(route, *best))) {
      best = &route;
    }
  }

  request.params.clear();
  request.scope = auth_.Check(request.header("authorization"));
  const bool is_public = best != nullptr && best->required == Scope::kNone;
  if (!is_public) {
    if (request.scope == Scope::kNone) {
      HttpResponse response =
          ErrorResponse(401, "unauthorized", "missing or invalid bearer token");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    if (allowed.empty()) {
      return ErrorResponse(404, "not_found", "no route for " + request.path);
    }
    if (best == nullptr) {
      std::string allow;
      for (const std::string& method : allowed) {
        if (!allow.empty()) allow += ", ";
        allow += method;
      }
      HttpResponse response = ErrorResponse(
          405, "method_not_allowed", request.method + " is not allowed here; allowed: " + allow);
      response.headers.emplace_back("Allow", allow);
      return response;
    }
    if (request.scope < best->required) {
      return ErrorResponse(
          403, "forbidden",
          "this token has the " + std::string(ScopeName(request.scope)) + " scope; the route needs " +
              std::string(ScopeName(best->required)));
    }
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (best->segments[i].is_param) request.params[best->segments[i].text] = segments[i];
  }
  return Call(*best, request);
}

}  // namespace api::rest
