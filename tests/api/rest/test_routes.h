#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "api/rest/router.h"

namespace api::rest::testing {

inline constexpr char kAdminToken[] = "admin-token-for-tests";
inline constexpr char kReadToken[] = "read-token-for-tests";

// The routes the server tests call:
//   GET  /healthz            public, "ok"
//   GET  /v1/echo/{name}     read: {"name", "query", "scope"}
//   POST /v1/echo            read: {"size", "sum", "content_type"} of the body
//   POST /v1/admin           admin: {"ok": true}
//   GET  /v1/throw           read: throws
inline std::shared_ptr<const Router> MakeTestRouter() {
  auto router = std::make_shared<Router>(
      TokenAuth({{kAdminToken, Scope::kAdmin}, {kReadToken, Scope::kRead}}));
  router->Add("GET", "/healthz", Scope::kNone,
              [](HttpRequest&) { return TextResponse(200, "ok\n"); });
  router->Add("GET", "/v1/echo/{name}", Scope::kRead, [](HttpRequest& request) {
    nlohmann::json query = request.query;
    return JsonResponse(200, {{"name", request.params.at("name")},
                              {"query", query},
                              {"scope", std::string(ScopeName(request.scope))}});
  });
  router->Add("POST", "/v1/echo", Scope::kRead, [](HttpRequest& request) {
    uint64_t sum = 0;
    for (char c : request.body) sum += static_cast<unsigned char>(c);
    return JsonResponse(200, {{"size", request.body.size()},
                              {"sum", sum},
                              {"content_type", std::string(request.content_type())}});
  });
  router->Add("POST", "/v1/admin", Scope::kAdmin,
              [](HttpRequest&) { return JsonResponse(200, {{"ok", true}}); });
  router->Add("GET", "/v1/throw", Scope::kRead,
              [](HttpRequest&) -> HttpResponse { throw std::runtime_error("secret detail"); });
  return router;
}

}  // namespace api::rest::testing
