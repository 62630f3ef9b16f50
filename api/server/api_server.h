#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/rest/http_message.h"
#include "api/rest/http_server.h"
#include "api/rest/router.h"
#include "api/server/api_context.h"
#include "cep/base/result.h"
#include "engine/runtime/service_config.h"

namespace api::server {

// Every route of INTERFACES.md "REST" on `context` (the handlers live in
// ruleset_routes.cc, runtime_routes.cc and replay_routes.cc). `tokens`: token
// -> scope. The context must outlive the router.
std::shared_ptr<rest::Router> MakeRouter(ApiContext& context,
                                         const std::map<std::string, rest::Scope>& tokens);

// The REST server of `cep serve`: the config's rest_* settings, the routes of
// MakeRouter. Owns the context it serves.
class ApiServer {
 public:
  static cep::Result<std::unique_ptr<ApiServer>> Start(const engine::ServiceConfig& config,
                                                       std::unique_ptr<ApiContext> context,
                                                       const std::map<std::string, rest::Scope>& tokens);
  ~ApiServer();
  void Stop();
  std::string url() const { return server_->url(); }
  uint16_t port() const { return server_->port(); }

 private:
  ApiServer() = default;
  std::unique_ptr<ApiContext> context_;
  std::unique_ptr<rest::HttpServer> server_;
};

// Tokens from the config (token -> "read" | "admin"); with none, a new admin
// token written to <data_dir>/api-token (mode 0600) so that `cep rulesets`
// on the same machine finds it. `generated` tells which happened.
cep::Result<std::map<std::string, rest::Scope>> ApiTokens(const engine::ServiceConfig& config,
                                                          bool& generated);

}  // namespace api::server
