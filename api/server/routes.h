#pragma once

// The route groups of the REST API; each adds its routes to the router.
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/rest/http_message.h"
#include "api/rest/router.h"
#include "cep/base/status.h"
#include "api/server/api_context.h"

namespace api::server {

void AddRulesetRoutes(rest::Router& router, ApiContext& context);  // /v1/rulesets...
void AddRuntimeRoutes(rest::Router& router, ApiContext& context);  // events, keys, metrics, health
void AddReplayRoutes(rest::Router& router, ApiContext& context);   // /v1/replays...

// A JSON request body, or the 400/415 response to send instead.
struct JsonBody {
  nlohmann::json value;
  std::optional<rest::HttpResponse> error;
};
JsonBody ParseJsonBody(const rest::HttpRequest& request);
// A Status as an HTTP error in the REST error shape (kNotFound 404, ...).
rest::HttpResponse StatusResponse(const cep::Status& status);
// Whether `text` is valid UTF-8.
bool IsUtf8(std::string_view text);

}  // namespace api::server
